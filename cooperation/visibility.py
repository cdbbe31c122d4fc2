"""Who may see what: the one visibility policy.

Every read that reaches a person (pages, tables, search, feeds, exports, charts, reports,
the change list, and whatever comes next) asks this module, and nothing else decides:

- `restrict(queryset, viewer)`: the records of a kind the viewer may see (also
  `Model.objects.visible_to(viewer)`);
- `is_visible(viewer, record)`: whether one loaded record may be shown;
- `with_shown(queryset, viewer, *relations)`: marks, in the database, whether each related
  record may be shown (`<relation>_shown`); a related record the viewer may not see is
  masked, never named (`tables.MaskedLinkColumn`, `shown_or_none`);
- `quote_attribution(viewer, citation)`: the person a quote may be attributed to;
- `may_edit(viewer, record)`: whether an editor may change one loaded record.

The rule. Every record has an owner organisation (a partner) and is public, shared with the
partners it involves, or internal to its owner. Anonymous visitors see public records. A
signed-in user belongs to organisations (`Membership`) and sees public records, the records
their organisations own, and shared records that involve one of their organisations: a
meeting's or milestone's partners, a commitment's maker and recipients, a complaint count's
receiver, a person's partner, a partner itself. Administrators see everything. A person, and
a report about a partner, show only with that partner. Topics carry no visibility of their
own. A report is built for an audience (`audience_viewer`): the public, one organisation's
staff, or everything; it holds exactly what that reader may see, and shows to those who may
read as that audience.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from django.contrib.auth import get_user_model
from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    IntegerField,
    Model,
    Q,
    QuerySet,
    Value,
)

from cooperation.models import (
    Citation,
    Commitment,
    CommitmentUpdate,
    ComplaintCount,
    Meeting,
    Membership,
    Milestone,
    Partner,
    Person,
    Report,
    ReportAudience,
    Source,
    Topic,
    Visibility,
)
from cooperation.roles import ADMINISTRATOR

QS = TypeVar("QS", bound=QuerySet[Any])

# Looked up once per user object (one request), then kept on it.
_CACHE = "_concord_visibility"


class Viewer(Protocol):
    """Anything that reads: a user, or a report's audience."""

    @property
    def is_authenticated(self) -> bool: ...


@dataclass(frozen=True)
class AudienceViewer:
    """The readers a report is built for, standing in for a user."""

    audience: str
    organisation_id: int | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.audience != ReportAudience.PUBLIC


def audience_viewer(audience: str, organisation_id: int | None = None) -> AudienceViewer:
    """The viewer a report for this audience (and organisation, for one's view) reads as."""
    return AudienceViewer(audience, organisation_id)


@dataclass(frozen=True)
class _Standing:
    everything: bool
    organisations: frozenset[int]


def _standing(viewer: Viewer | None) -> _Standing:
    """Whether the viewer sees everything, and the organisations they read for."""
    if viewer is None or not viewer.is_authenticated:
        return _Standing(False, frozenset())
    if isinstance(viewer, AudienceViewer):
        organisations = {viewer.organisation_id} if viewer.organisation_id else set()
        return _Standing(viewer.audience == ReportAudience.EVERYTHING, frozenset(organisations))
    cached = getattr(viewer, _CACHE, None)
    if cached is None:
        cached = _standing_of_user(viewer)
        setattr(viewer, _CACHE, cached)
    return cached


def _standing_of_user(user: Any) -> _Standing:
    """A user's organisations and whether they are an administrator, in one query: the
    partner ids of their memberships, and a 0 if they hold the Administrator role."""
    role = (
        get_user_model()
        .groups.through.objects.filter(user_id=user.pk, group__name=ADMINISTRATOR)
        .values_list(Value(0, output_field=IntegerField()))
    )
    memberships = Membership.objects.filter(user_id=user.pk).order_by().values_list("partner_id")
    rows = memberships.union(role.order_by())
    ids = {pk for (pk,) in rows}
    return _Standing(user.is_superuser or 0 in ids, frozenset(ids - {0}))


def sees_everything(viewer: Viewer | None) -> bool:
    """Administrators, and reports of everything, read every record."""
    return _standing(viewer).everything


def organisation_ids(viewer: Viewer | None) -> frozenset[int]:
    """The partners whose staff this viewer reads as."""
    return _standing(viewer).organisations


def audience_key(viewer: Viewer | None) -> str:
    """What decides which records this viewer sees, as a short text: readers with the same key
    see the same records (cached pages are shared by key, `cooperation.cache`)."""
    if viewer is None or not viewer.is_authenticated:
        return "anonymous"
    if sees_everything(viewer):
        return "everything"
    return "member:" + ",".join(str(pk) for pk in sorted(organisation_ids(viewer)))


def _linked(model: type[Model], field: str, partners: frozenset[int], prefix: str) -> Q:
    """Records (at `prefix`) whose many-to-many `field` names one of `partners`: a semi-join
    on the link table, so no row is repeated."""
    relation = model._meta.get_field(field)
    through = relation.remote_field.through  # type: ignore[union-attr]
    links = through.objects.filter(
        **{f"{relation.m2m_reverse_field_name()}__in": partners}  # type: ignore[union-attr]
    ).values(relation.m2m_field_name())  # type: ignore[union-attr]
    return Q(**{f"{prefix}pk__in": links})


def _involves_q(model: type[Model], partners: frozenset[int], prefix: str) -> Q | None:
    """Records of `model` (at `prefix`) that involve one of `partners`; None for a kind that
    involves no partner (a source is shared with its owner's staff only)."""
    if model is Partner:
        return Q(**{f"{prefix}pk__in": partners})
    if model is Person:
        return Q(**{f"{prefix}partner__in": partners})
    if model is ComplaintCount:
        return Q(**{f"{prefix}received_by__in": partners})
    if model is Commitment:
        return Q(**{f"{prefix}made_by__in": partners}) | _linked(model, "made_to", partners, prefix)
    if model is Meeting or model is Milestone:
        return _linked(model, "partners", partners, prefix)
    return None


def visible_q(viewer: Viewer | None, model: type[Model], prefix: str = "") -> Q:
    """A Q matching the records of `model` (at `prefix`, for a related record) the viewer
    may see: plain conditions and semi-joins, never a loop over records."""
    if model is Topic:
        return Q()
    if model is Report:
        return _report_q(viewer, prefix)
    standing = _standing(viewer)
    if standing.everything:
        return Q()
    if model is Citation:  # a citation quotes its source: it shows with it
        return visible_q(viewer, Source, f"{prefix}source__")
    if model is CommitmentUpdate:
        return visible_q(viewer, Commitment, f"{prefix}commitment__")
    if model is Membership:  # who belongs where: administrators, and each user their own
        return Q(**{f"{prefix}user_id": getattr(viewer, "pk", None)})
    q = Q(**{f"{prefix}visibility": Visibility.PUBLIC})
    if standing.organisations:
        q |= Q(**{f"{prefix}owner__in": standing.organisations})
        involved = _involves_q(model, standing.organisations, prefix)
        if involved is not None:
            q |= Q(**{f"{prefix}visibility": Visibility.SHARED}) & involved
    if model is Person:
        q &= visible_q(viewer, Partner, f"{prefix}partner__")
    return q


def _report_q(viewer: Viewer | None, prefix: str) -> Q:
    """Reports built for an audience the viewer reads as, about a partner they may see."""
    standing = _standing(viewer)
    if standing.everything:
        return Q()
    audience = Q(**{f"{prefix}audience": ReportAudience.PUBLIC})
    if standing.organisations:
        audience |= Q(
            **{
                f"{prefix}audience": ReportAudience.ORGANISATION,
                f"{prefix}audience_organisation__in": standing.organisations,
            }
        )
    about = Q(**{f"{prefix}partner__isnull": True}) | visible_q(
        viewer, Partner, f"{prefix}partner__"
    )
    return audience & about


def restrict(queryset: QS, viewer: Viewer | None) -> QS:
    """The records of this queryset the viewer may see."""
    q = visible_q(viewer, queryset.model)
    return queryset.filter(q) if q else queryset


def _involved_ids(record: Any) -> set[int]:
    """The partners a loaded record involves (a prefetched link is read from memory)."""
    if isinstance(record, Partner):
        return {record.pk}
    if isinstance(record, Person):
        return {record.partner_id}
    if isinstance(record, ComplaintCount):
        return {record.received_by_id}
    if isinstance(record, Commitment):
        return {record.made_by_id} | {p.pk for p in record.made_to.all()}
    if isinstance(record, Meeting | Milestone):
        return {p.pk for p in record.partners.all()}
    return set()


def _member_reads(standing: _Standing, record: Any) -> bool:
    """Whether a loaded record is read as a member: owned by one of the viewer's
    organisations, or shared and involving one of them."""
    if record.owner_id in standing.organisations:
        return True
    shared = record.visibility == Visibility.SHARED
    return shared and bool(_involved_ids(record) & standing.organisations)


def is_visible(viewer: Viewer | None, record: Any) -> bool:
    """Whether the viewer may see one loaded record (None is never visible)."""
    if record is None:
        return False
    standing = _standing(viewer)
    if isinstance(record, Topic) or standing.everything:
        return True
    if isinstance(record, Report):
        return restrict(Report.objects.filter(pk=record.pk), viewer).exists()
    seen = record.visibility == Visibility.PUBLIC or _member_reads(standing, record)
    if seen and isinstance(record, Person):
        return is_visible(viewer, record.partner)
    return seen


def shown_or_none(viewer: Viewer | None, record: Any) -> Any:
    """The record when the viewer may see it, None otherwise."""
    return record if is_visible(viewer, record) else None


def with_shown(queryset: QS, viewer: Viewer | None, *relations: str) -> QS:
    """Annotate `<relation>_shown`: whether the related record exists and the viewer may
    see it. Tables and pages show a related record only where this is true."""
    flags = {}
    for relation in relations:
        related = queryset.model._meta.get_field(relation).related_model
        assert isinstance(related, type), relation
        condition = Q(**{f"{relation}__isnull": False}) & visible_q(
            viewer, related, f"{relation}__"
        )
        flags[f"{relation}_shown"] = ExpressionWrapper(condition, output_field=BooleanField())
    return queryset.annotate(**flags)


def quote_attribution(viewer: Viewer | None, citation: Citation) -> Person | None:
    """Who a citation may be attributed to: its person, when the viewer may see them.

    A quote by someone the viewer may not see stays a plain citation: the passage shows,
    the attribution does not.
    """
    return shown_or_none(viewer, citation.quoted_person)


def audiences_for(viewer: Viewer | None) -> list[tuple[str, int | None]]:
    """The report audiences this viewer may read, widest first: (audience, organisation)."""
    standing = _standing(viewer)
    audiences: list[tuple[str, int | None]] = []
    if standing.everything:
        audiences.append((ReportAudience.EVERYTHING, None))
    audiences += [(ReportAudience.ORGANISATION, pk) for pk in sorted(standing.organisations)]
    return [*audiences, (ReportAudience.PUBLIC, None)]


def widest_audience(viewer: Viewer | None, about: Any = None) -> tuple[str, int | None]:
    """The widest audience this viewer reads as that may also see `about` (a partner, for
    its dossier): what a report asked for by this viewer is built for."""
    for audience, organisation_id in audiences_for(viewer):
        if about is None or is_visible(audience_viewer(audience, organisation_id), about):
            return audience, organisation_id
    return ReportAudience.PUBLIC, None


def restrict_editable(queryset: QuerySet, viewer: Viewer | None) -> QuerySet:
    """`may_edit` as a query: the records of `queryset` this viewer may change — what they
    may see, less the public records their organisations do not own."""
    records = restrict(queryset, viewer)
    if _standing(viewer).everything or queryset.model is Topic:
        return records
    owned = Q(owner__in=organisation_ids(viewer))
    return records.filter(~Q(visibility=Visibility.PUBLIC) | owned)


def may_edit(viewer: Viewer | None, record: Any) -> bool:
    """Whether an editor may change this loaded record: one their organisation owns, or a
    shared record that involves it. Administrators may change every record; topics are
    everyone's."""
    standing = _standing(viewer)
    if standing.everything or isinstance(record, Topic):
        return True
    return _member_reads(standing, record)
