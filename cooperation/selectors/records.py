"""Records of each kind a user may see: plain querysets, the tables' lists, detail pages.

Every queryset passes through `cooperation.visibility`; a related record the user may
not see is left out of prefetched lists and marked not shown (`<relation>_shown`) on
foreign keys, never named.
"""

from __future__ import annotations

import datetime
from collections import Counter
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from cooperation import small_counts, visibility
from cooperation.models import (
    OPEN_COMMITMENT_STATUSES,
    Citation,
    Commitment,
    CommitmentQuerySet,
    CommitmentUpdate,
    ComplaintCount,
    Meeting,
    Milestone,
    Partner,
    Person,
    Source,
    Topic,
    due_soon_q,
    overdue_q,
    stale_q,
)
from cooperation.selectors.citations import Detail, record_detail
from cooperation.services.commitments import with_deciding_mark
from cooperation.visibility import Viewer

QS = TypeVar("QS", bound=QuerySet)


def words_q(value: str, *fields: str) -> Q:
    """Every word (the first ten) must appear, case-insensitively, in at least one field."""
    query = Q()
    for word in value.split()[:10]:
        any_field = Q()
        for name in fields:
            any_field |= Q(**{f"{name}__icontains": word})
        query &= any_field
    return query


def linked_to(queryset: QS, field: str, value: Any) -> QS:
    """Records whose many-to-many `field` includes `value`: a semi-join on the link table,
    so a record is never listed twice."""
    relation = queryset.model._meta.get_field(field)
    links = relation.remote_field.through.objects.filter(
        **{relation.m2m_reverse_field_name(): value}
    ).values(relation.m2m_field_name())
    return queryset.filter(pk__in=links)


def _visible_partners_prefetch(user: Viewer | None, lookup: str) -> Prefetch:
    return Prefetch(lookup, queryset=Partner.objects.visible_to(user).order_by("name"))


# Lists (tables) --------------------------------------------------------------------------


def partner_list(*, user: Viewer | None) -> QuerySet[Partner]:
    """Partners with counts the user may see: meetings, open commitments, date of last contact.

    The counts are correlated subqueries rather than joins, so they neither multiply
    each other nor grow the row count.
    """
    through = Meeting.partners.through
    visible_links = through.objects.filter(partner=OuterRef("pk")).filter(
        visibility.visible_q(user, Meeting, "meeting__")
    )
    meeting_count = (
        visible_links.order_by().values("partner").annotate(n=Count("meeting")).values("n")  # type: ignore[misc]
    )
    last_contact = (
        visible_links.filter(meeting__date__isnull=False)
        .order_by()
        .values("partner")
        .annotate(last=Max("meeting__date"))
        .values("last")  # type: ignore[misc]
    )
    open_commitments = (
        Commitment.objects.visible_to(user)
        .filter(made_by=OuterRef("pk"), status__in=OPEN_COMMITMENT_STATUSES)
        .order_by()
        .values("made_by")
        .annotate(n=Count("pk"))
        .values("n")
    )
    partners = Partner.objects.visible_to(user).select_related("parent")
    return visibility.with_shown(partners, user, "parent").annotate(
        meeting_count=Coalesce(Subquery(meeting_count, output_field=IntegerField()), 0),
        open_commitment_count=Coalesce(Subquery(open_commitments, output_field=IntegerField()), 0),
        last_contact=Subquery(last_contact, output_field=DateField()),
    )


def meeting_list(*, user: Viewer | None) -> QuerySet[Meeting]:
    """Meetings the user may see, with their visible partners and topics prefetched."""
    return Meeting.objects.visible_to(user).prefetch_related(
        _visible_partners_prefetch(user, "partners"), "topics"
    )


def commitment_list(*, user: Viewer | None) -> CommitmentQuerySet:
    """Commitments the user may see, with who made them, to whom, and where.

    `made_by_shown` and `meeting_shown` say whether the user may see those records.
    """
    commitments = (
        Commitment.objects.visible_to(user).select_related("made_by", "meeting").with_follow_up()
    )
    return visibility.with_shown(commitments, user, "made_by", "meeting").prefetch_related(
        _visible_partners_prefetch(user, "made_to"), "topics"
    )


def complaintcount_list(*, user: Viewer | None) -> QuerySet[ComplaintCount]:
    """Complaint counts the user may see, with the receiving partner, each marked
    `count_hidden` when it shows as "fewer than k" (`cooperation.small_counts`)."""
    counts = ComplaintCount.objects.visible_to(user).select_related("received_by")
    counts = small_counts.with_count_hidden(counts, user)
    return visibility.with_shown(counts, user, "received_by")


def milestone_list(*, user: Viewer | None) -> QuerySet[Milestone]:
    """Milestones the user may see, with their visible partners and topics prefetched."""
    return Milestone.objects.visible_to(user).prefetch_related(
        _visible_partners_prefetch(user, "partners"), "topics"
    )


# Details ---------------------------------------------------------------------------------


def meeting_get(*, user: Viewer | None, slug: str) -> Detail:
    """A meeting with its visible partners, participants, topics, commitments and counts.

    Raises Meeting.DoesNotExist when there is none the user may see.
    """
    meeting = (
        Meeting.objects.visible_to(user)
        .prefetch_related(
            _visible_partners_prefetch(user, "partners"),
            Prefetch(
                "participants",
                queryset=Person.objects.visible_to(user).select_related("partner").order_by("name"),
            ),
            "topics",
            Prefetch(
                "commitments",
                queryset=commitment_list(user=user).order_by(
                    F("date").desc(nulls_last=True), "title"
                ),
            ),
            Prefetch("complaint_counts", queryset=complaintcount_list(user=user)),
        )
        .get(slug=slug)
    )
    return record_detail(user=user, record=meeting)


def commitment_get(*, user: Viewer | None, pk: int) -> Detail:
    """A commitment with its visible partners, meeting and status history.

    The history is in the order that decides the status (undated entries first, the last
    deciding), each entry marked `decides_status`. Entries whose source the user may not see
    keep their status and date but lose the passage. Raises Commitment.DoesNotExist when
    there is none the user may see.
    """
    updates = visibility.with_shown(
        with_deciding_mark(updates=CommitmentUpdate.objects.select_related("source")),
        user,
        "source",
    )
    commitment = (
        visibility.with_shown(
            commitment_list(user=user).select_related("made_by_person"), user, "made_by_person"
        )
        .prefetch_related(Prefetch("updates", queryset=updates))
        .get(pk=pk)
    )
    return record_detail(user=user, record=commitment)


def complaintcount_get(*, user: Viewer | None, pk: int) -> Detail:
    """A complaint count with its receiving partner and the meeting it was reported at.

    Raises ComplaintCount.DoesNotExist when there is none the user may see.
    """
    count = visibility.with_shown(
        complaintcount_list(user=user).select_related("meeting"), user, "meeting"
    ).get(pk=pk)
    return record_detail(user=user, record=count)


def milestone_get(*, user: Viewer | None, slug: str) -> Detail:
    """A milestone with its visible partners and topics.

    Raises Milestone.DoesNotExist when there is none the user may see.
    """
    return record_detail(user=user, record=milestone_list(user=user).get(slug=slug))


def partner_commitments(*, user: Viewer | None, partner: Partner) -> CommitmentQuerySet:
    """Commitments the partner made or received, that the user may see."""
    return commitment_list(user=user).involving(partner)


def partner_sources(*, user: Viewer | None, partner: Partner, limit: int = 50) -> QuerySet[Source]:
    """Visible sources cited by the partner, its people, or any record it took part in.

    Each citation is checked against the partner's links by index (does this cited meeting
    have the partner among its partners?), so the cost follows the sources' citations, not
    the number of records the partner took part in."""
    types = ContentType.objects.get_for_models(
        Partner, Person, Meeting, Commitment, ComplaintCount, Milestone
    )
    record = OuterRef("object_id")

    def cited(model, queryset) -> Q:
        return Q(Exists(queryset), content_type=types[model])

    related = (
        Q(content_type=types[Partner], object_id=partner.pk)
        | cited(Person, Person.objects.filter(pk=record, partner=partner))
        | cited(Meeting, Meeting.partners.through.objects.filter(meeting=record, partner=partner))
        | cited(
            Commitment,
            Commitment.objects.filter(pk=record).filter(
                Q(made_by=partner)
                | Exists(
                    Commitment.made_to.through.objects.filter(
                        commitment=OuterRef("pk"), partner=partner
                    )
                )
            ),
        )
        | cited(ComplaintCount, ComplaintCount.objects.filter(pk=record, received_by=partner))
        | cited(
            Milestone, Milestone.partners.through.objects.filter(milestone=record, partner=partner)
        )
    )
    citing = Citation.objects.filter(related, source=OuterRef("pk"))
    return (
        Source.objects.visible_to(user)
        .filter(Exists(citing))
        .defer("text")
        .order_by("title")[:limit]
    )


def partner_topics(*, user: Viewer | None, partner: Partner, limit: int = 30) -> list[Topic]:
    """Topics of the visible meetings, commitments and milestones the partner took part in,
    most frequent first, each with `uses`: the partner's own topic links, read from its
    records' side (so the cost follows the partner's records, not everyone's) and counted
    per kind in the database."""
    meetings = Meeting.objects.visible_to(user).filter(partners=partner).values("pk")
    milestones = Milestone.objects.visible_to(user).filter(partners=partner).values("pk")
    commitments = partner_commitments(user=user, partner=partner).order_by().values("pk")

    def uses_of(through, **records):
        return through.objects.filter(**records).values_list("topic_id").annotate(n=Count("*"))

    counted = uses_of(Meeting.topics.through, meeting__in=meetings).union(
        uses_of(Milestone.topics.through, milestone__in=milestones),
        uses_of(Commitment.topics.through, commitment__in=commitments),
        all=True,
    )
    uses: Counter[int] = Counter()
    for topic_id, n in counted:
        uses[topic_id] += n
    if not uses:
        return []
    topics = list(Topic.objects.visible_to(user).filter(pk__in=uses))
    for topic in topics:
        topic.uses = uses[topic.pk]
    return sorted(topics, key=lambda topic: (-topic.uses, topic.name))[:limit]


def follow_up_counts(
    commitments: CommitmentQuerySet, today: datetime.date | None = None
) -> dict[str, int]:
    """How many of these commitments are open, overdue, due soon and stale, in one query."""
    today = today or timezone.localdate()
    return commitments.order_by().aggregate(
        open=Count("pk", filter=Q(status__in=OPEN_COMMITMENT_STATUSES)),
        overdue=Count("pk", filter=overdue_q(today)),
        due_soon=Count("pk", filter=due_soon_q(today)),
        stale=Count("pk", filter=stale_q(today)),
    )


def partner_head(*, user: Viewer | None, slug: str) -> Partner:
    """A partner, with its parent marked shown or not: what a profile shows above its body.

    Raises Partner.DoesNotExist when there is none the user may see.
    """
    partners = Partner.objects.visible_to(user).select_related("parent")
    return visibility.with_shown(partners, user, "parent").get(slug=slug)


def partner_get(*, user: Viewer | None, slug: str) -> Detail:
    """A partner's profile: people, parent and units, topics, commitments, sources.

    Raises Partner.DoesNotExist when there is none the user may see. The partner's
    own timeline comes from `timeline_page(..., partner=...)`.
    """
    partner = (
        partner_list(user=user)
        .prefetch_related(
            Prefetch("people", queryset=Person.objects.visible_to(user).order_by("name")),
            _visible_partners_prefetch(user, "units"),
        )
        .get(slug=slug)
    )
    commitments = list(
        partner_commitments(user=user, partner=partner).order_by(
            F("date").desc(nulls_last=True), "title"
        )[:100]
    )
    return record_detail(
        user=user,
        record=partner,
        commitments=commitments,
        sources=list(partner_sources(user=user, partner=partner)),
        topics=partner_topics(user=user, partner=partner),
    )
