"""Who may see what: the one visibility policy.

Every read that reaches a person (pages, tables, search, feeds, exports, charts, reports,
and whatever comes next) asks this module, and nothing else decides:

- `restrict(queryset, viewer)`: the records of a kind the viewer may see;
- `is_visible(viewer, record)`: whether one loaded record may be shown;
- `with_shown(queryset, viewer, *relations)`: marks, in the database, whether each related
  record may be shown (`<relation>_shown`); a related record the viewer may not see is
  masked, never named (`tables.MaskedLinkColumn`, `shown_or_none`);
- `quote_attribution(viewer, citation)`: the person a quote may be attributed to.

A viewer is a user (anonymous or signed in) or the audience a report is built for
(`audience_viewer`), so a public report reads exactly what an anonymous visitor reads.

The rule today: anonymous viewers see public records; signed-in viewers see every record.
A person, and a report about a partner, show only with that partner (a dossier built
while its partner was public names it throughout); topics carry no visibility of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from django.db.models import BooleanField, ExpressionWrapper, Model, Q, QuerySet

from cooperation.models import Citation, Partner, Person, Report, Topic, Visibility

QS = TypeVar("QS", bound=QuerySet[Any])


class Viewer(Protocol):
    """Anything that reads: a user, or a report's audience."""

    @property
    def is_authenticated(self) -> bool: ...


@dataclass(frozen=True)
class AudienceViewer:
    """The readers a report is built for, standing in for a user."""

    audience: str

    @property
    def is_authenticated(self) -> bool:
        return self.audience != Visibility.PUBLIC


def audience_viewer(audience: str) -> AudienceViewer:
    """The viewer a report for this audience reads as."""
    return AudienceViewer(audience)


def sees_internal(viewer: Viewer | None) -> bool:
    """Whether this viewer reads internal records as well as public ones."""
    return viewer is not None and bool(viewer.is_authenticated)


def _field(model: type[Model]) -> str | None:
    """The field that holds a model's visibility, or None when it has none of its own."""
    if model is Topic:
        return None
    if model is Report:
        return "audience"
    return "visibility"


def visible_q(viewer: Viewer | None, model: type[Model], prefix: str = "") -> Q:
    """A Q matching the records of `model` (at `prefix`, for a related record) the viewer
    may see."""
    name = _field(model)
    if sees_internal(viewer) or name is None:
        return Q()
    q = Q(**{f"{prefix}{name}": Visibility.PUBLIC})
    if model is Person:
        q &= visible_q(viewer, Partner, f"{prefix}partner__")
    if model is Report:
        q &= Q(**{f"{prefix}partner__isnull": True}) | visible_q(
            viewer, Partner, f"{prefix}partner__"
        )
    return q


def restrict(queryset: QS, viewer: Viewer | None) -> QS:
    """The records of this queryset the viewer may see."""
    q = visible_q(viewer, queryset.model)
    return queryset.filter(q) if q else queryset


def is_visible(viewer: Viewer | None, record: Any) -> bool:
    """Whether the viewer may see one loaded record (None is never visible)."""
    if record is None:
        return False
    name = _field(type(record))
    if sees_internal(viewer) or name is None:
        return True
    if getattr(record, name) != Visibility.PUBLIC:
        return False
    if isinstance(record, Person | Report) and record.partner_id is not None:
        return is_visible(viewer, record.partner)
    return True


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


def audience_for(viewer: Viewer | None) -> str:
    """The widest report audience this viewer may read."""
    return Visibility.INTERNAL if sees_internal(viewer) else Visibility.PUBLIC
