"""The API's shapes: Popolo's organization, person, membership and event where they fit
(`name`, `classification`, `start_date`, `organization_id`, `person_id`, `role`), and every
record with the sources it rests on and their verbatim passages.

A record links to others by their id (the slug where the kind has one). A linked record the
reader may not see is never named: `LinkField` gives null, a list of links leaves it out (the
views prefetch only visible records), a citation of a hidden source is not listed and a quote
by a hidden person loses its attribution.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cooperation import selectors, services, small_counts, visibility
from cooperation.forms import SLUG
from cooperation.models import (
    Commitment,
    CommitmentKind,
    CommitmentUpdate,
    ComplaintCount,
    DatePrecision,
    Meeting,
    Milestone,
    Partner,
    Person,
    Source,
    Topic,
    Visibility,
)


def _key(record):
    return getattr(record, "slug", None) or record.pk


def _viewer(serializer):
    request = serializer.context.get("request")
    return getattr(request, "user", None)


@extend_schema_field({"type": ["string", "null"]})
class LinkField(serializers.Field):
    """A related record (a foreign key) by its slug, or null when there is none or the reader
    may not see it. Reads the `<relation>_shown` mark of `visibility.with_shown`."""

    def __init__(self, relation: str, **kwargs):
        self.relation = relation
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, record):
        related = getattr(record, self.relation)
        if related is None:
            return None
        shown = getattr(record, f"{self.relation}_shown", None)
        if shown is None:
            shown = visibility.is_visible(_viewer(self), related)
        return _key(related) if shown else None


def links(source: str, **kwargs) -> serializers.SlugRelatedField:
    """The slugs of many linked records; the views prefetch only those the reader may see."""
    return serializers.SlugRelatedField(
        source=source, slug_field="slug", many=True, read_only=True, **kwargs
    )


class CitationSerializer(serializers.Serializer):
    """One verbatim passage of a source a record rests on; a quote names who said it."""

    source_id = serializers.IntegerField(read_only=True)
    passage = serializers.CharField(read_only=True)
    quoted_person_id = serializers.SerializerMethodField()

    def get_quoted_person_id(self, citation) -> str | None:
        person = visibility.quote_attribution(_viewer(self), citation)
        return person.slug if person else None


class SourceSummarySerializer(serializers.ModelSerializer):
    """A source as a record lists it."""

    class Meta:
        model = Source
        fields = ["id", "title", "publisher", "published_on", "url"]


class CitedSerializer(serializers.ModelSerializer):
    """A record with its sources and passages, those whose source the reader may see."""

    sources = serializers.SerializerMethodField(help_text=_("The sources cited, each once."))
    citations = serializers.SerializerMethodField(
        help_text=_("The verbatim passages this record rests on.")
    )

    def _citations(self, record):
        cached = getattr(record, selectors.VISIBLE_CITATIONS, None)
        if cached is None:
            cached = selectors.citations_for(user=_viewer(self), record=record)
        return cached

    @extend_schema_field(SourceSummarySerializer(many=True))
    def get_sources(self, record):
        sources = {c.source_id: c.source for c in self._citations(record)}
        return SourceSummarySerializer(sources.values(), many=True).data

    @extend_schema_field(CitationSerializer(many=True))
    def get_citations(self, record):
        return CitationSerializer(self._citations(record), many=True, context=self.context).data


class TopicSerializer(serializers.ModelSerializer):
    """A focus area of cooperation."""

    id = serializers.SlugField(source="slug", read_only=True)

    class Meta:
        model = Topic
        fields = ["id", "name", "description"]


class SourceSerializer(serializers.ModelSerializer):
    """A source document, its full text in `text`."""

    class Meta:
        model = Source
        fields = [
            "id",
            "title",
            "reference",
            "publisher",
            "published_on",
            "url",
            "notes",
            "visibility",
            "text",
        ]


class OrganizationSerializer(CitedSerializer):
    """A partner, as a Popolo organization."""

    id = serializers.SlugField(source="slug", read_only=True)
    classification = serializers.ChoiceField(
        source="kind", choices=Partner._meta.get_field("kind").choices, read_only=True
    )
    parent_id = LinkField("parent")

    class Meta:
        model = Partner
        fields = [
            "id",
            "name",
            "short_name",
            "classification",
            "country",
            "parent_id",
            "description",
            "visibility",
            "sources",
            "citations",
        ]


class PersonSerializer(CitedSerializer):
    """Someone who speaks or acts for a partner, as a Popolo person; their place in the
    partner is also a membership (`/api/memberships/`)."""

    id = serializers.SlugField(source="slug", read_only=True)
    organization_id = LinkField("partner")

    class Meta:
        model = Person
        fields = ["id", "name", "organization_id", "role", "visibility", "sources", "citations"]


class MembershipSerializer(CitedSerializer):
    """A person's role in a partner, as a Popolo membership (one per person, by its slug)."""

    id = serializers.SlugField(source="slug", read_only=True)
    person_id = serializers.SlugField(source="slug", read_only=True)
    organization_id = LinkField("partner")

    class Meta:
        model = Person
        fields = ["id", "person_id", "organization_id", "role", "sources", "citations"]


DATED_FIELDS = ["date", "date_precision", "date_inferred", "date_note"]
# The action-plan pillar (blank until an editor classifies the record) and why.
PILLAR_FIELDS = ["pillar", "pillar_note"]


class EventSerializer(CitedSerializer):
    """A meeting, as a Popolo event: `start_date` with its precision, the partners in
    `organization_ids`, the people who took part in `participant_ids`."""

    id = serializers.SlugField(source="slug", read_only=True)
    name = serializers.CharField(source="title", read_only=True)
    classification = serializers.SerializerMethodField()
    start_date = serializers.DateField(source="date", read_only=True, allow_null=True)
    description = serializers.CharField(source="summary", read_only=True)
    organization_ids = links("partners")
    participant_ids = links("participants")
    topic_ids = links("topics")
    commitment_ids = serializers.PrimaryKeyRelatedField(
        source="commitments", many=True, read_only=True
    )

    class Meta:
        model = Meeting
        fields = [
            "id",
            "name",
            "classification",
            "start_date",
            "date_precision",
            "date_inferred",
            "date_note",
            "location",
            "description",
            "outcome",
            "organization_ids",
            "participant_ids",
            "topic_ids",
            "commitment_ids",
            *PILLAR_FIELDS,
            "visibility",
            "sources",
            "citations",
        ]

    def get_classification(self, meeting) -> str:
        return "meeting"


class CommitmentUpdateSerializer(serializers.ModelSerializer):
    """One entry of a commitment's status history; the passage and its source show only
    when the reader may see that source."""

    source_id = serializers.SerializerMethodField()
    passage = serializers.SerializerMethodField()

    class Meta:
        model = CommitmentUpdate
        fields = ["status", *DATED_FIELDS, "note", "recorded_at", "source_id", "passage"]

    def _shown(self, update) -> bool:
        shown = getattr(update, "source_shown", None)
        return visibility.is_visible(_viewer(self), update.source) if shown is None else shown

    def get_source_id(self, update) -> int | None:
        return update.source_id if self._shown(update) else None

    def get_passage(self, update) -> str | None:
        return update.passage if self._shown(update) else None


class CommitmentSerializer(CitedSerializer):
    """A pledge or instruction and where it stands, with its status history."""

    made_by_id = LinkField("made_by")
    made_by_person_id = LinkField("made_by_person")
    made_to_ids = links("made_to")
    meeting_id = LinkField("meeting")
    topic_ids = links("topics")
    is_open = serializers.BooleanField(read_only=True)
    is_overdue = serializers.SerializerMethodField()
    is_due_soon = serializers.SerializerMethodField()
    is_stale = serializers.SerializerMethodField()
    updates = CommitmentUpdateSerializer(many=True, read_only=True)

    class Meta:
        model = Commitment
        fields = [
            "id",
            "title",
            "description",
            "kind",
            "status",
            "is_open",
            "is_overdue",
            "is_due_soon",
            "is_stale",
            "made_by_id",
            "made_by_person_id",
            "made_to_ids",
            "meeting_id",
            "topic_ids",
            *DATED_FIELDS,
            "target_date",
            *PILLAR_FIELDS,
            "visibility",
            "updates",
            "sources",
            "citations",
        ]

    def get_is_overdue(self, commitment) -> bool:
        """Past its target date and not fulfilled."""
        return commitment.is_overdue()

    def get_is_due_soon(self, commitment) -> bool:
        """Open, with its target date within COMMITMENT_DUE_SOON_DAYS (30 by default)."""
        return commitment.is_due_soon()

    def get_is_stale(self, commitment) -> bool:
        """Open, with no news for COMMITMENT_STALE_DAYS (90 by default)."""
        return commitment.is_stale()


class ComplaintCountSerializer(CitedSerializer):
    """Complaints a partner received over a period.

    A public count below PUBLIC_MIN_COUNT (11 by default) is not given to a caller who is not
    signed in: `count` is null and `count_below` says what it is below ("fewer than 11"), and
    `verified_share` is null with it. Signed-in callers get every count exactly, and
    `count_below` null."""

    received_by_id = LinkField("received_by")
    meeting_id = LinkField("meeting")
    count = serializers.SerializerMethodField(
        help_text=_(
            "Complaints received; null when the count is below the public threshold "
            "(see count_below) and the caller is not signed in."
        )
    )
    count_below = serializers.SerializerMethodField(
        help_text=_(
            "The public threshold the count is below when it is withheld (“fewer than 11”), "
            "for callers not signed in; null when count is given."
        )
    )
    verified_share = serializers.SerializerMethodField(
        help_text=_(
            "Share found true, between 0 and 1; null when not known, or withheld with a "
            "count below the public threshold."
        )
    )

    def get_count(self, record) -> int | None:
        return None if small_counts.is_hidden(record) else record.count

    def get_count_below(self, record) -> int | None:
        return small_counts.threshold() if small_counts.is_hidden(record) else None

    @extend_schema_field({"type": ["string", "null"], "format": "decimal"})
    def get_verified_share(self, record) -> str | None:
        share = small_counts.shown_share(record)
        return None if share is None else str(share)

    class Meta:
        model = ComplaintCount
        fields = [
            "id",
            "received_by_id",
            "period_start",
            "period_end",
            "period_inferred",
            "period_note",
            "count",
            "count_below",
            "approximate",
            "origin",
            "verified_share",
            "verified_share_approximate",
            "meeting_id",
            "visibility",
            "sources",
            "citations",
        ]


class MilestoneSerializer(CitedSerializer):
    """A dated event that is not a meeting."""

    id = serializers.SlugField(source="slug", read_only=True)
    organization_ids = links("partners")
    topic_ids = links("topics")

    class Meta:
        model = Milestone
        fields = [
            "id",
            "title",
            "kind",
            "description",
            *DATED_FIELDS,
            "organization_ids",
            "topic_ids",
            *PILLAR_FIELDS,
            "visibility",
            "sources",
            "citations",
        ]


# Writes ----------------------------------------------------------------------------------


class VisibleSlugField(serializers.SlugRelatedField):
    """A record chosen by slug among those the caller may see: one they may not see reads as
    one that does not exist."""

    def __init__(self, model, **kwargs):
        self.model = model
        kwargs.setdefault("slug_field", "slug")
        kwargs.setdefault("queryset", model.objects.none())  # the schema reads its model
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.model.objects.visible_to(_viewer(self))

    def to_internal_value(self, data):
        if not isinstance(data, str) or not SLUG.match(data):  # NUL bytes, odd text: no lookup
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data)[:40])
        return super().to_internal_value(data)


class VisibleSourceField(serializers.PrimaryKeyRelatedField):
    """A source chosen by id among those the caller may see."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Source.objects.none(), **kwargs)

    def get_queryset(self):
        return Source.objects.visible_to(_viewer(self))


class CitationInputSerializer(serializers.Serializer):
    """A passage to cite: the source's id, its words verbatim, and who said them."""

    source_id = VisibleSourceField()
    passage = serializers.CharField(max_length=20_000)
    quoted_person_id = VisibleSlugField(Person, required=False, allow_null=True)

    def to_citation(self, data) -> services.CitationInput:
        return services.CitationInput(
            source=data["source_id"],
            passage=data["passage"],
            quoted_person=data.get("quoted_person_id"),
        )


class RecordInputSerializer(serializers.Serializer):
    """What every new record carries: who may read it, its owner and its citations."""

    visibility = serializers.ChoiceField(choices=Visibility.choices, default=Visibility.PUBLIC)
    owner_id = VisibleSlugField(
        Partner,
        required=False,
        help_text=_("The organisation that keeps the record, one of yours; by default your first."),
    )
    citations = CitationInputSerializer(many=True, required=False, default=list)
    date = serializers.DateField(required=False, allow_null=True)
    date_precision = serializers.ChoiceField(choices=DatePrecision.choices, required=False)

    def validate_owner_id(self, owner):
        user = _viewer(self)
        if not visibility.sees_everything(user) and owner.pk not in visibility.organisation_ids(
            user
        ):
            raise serializers.ValidationError(_("Choose one of your own organisations."))
        return owner

    def record_data(self, data) -> dict:
        """The validated input as a create service's keyword arguments."""
        user = _viewer(self)
        owner = data.get("owner_id")
        if owner is None and not visibility.sees_everything(user):
            organisations = sorted(visibility.organisation_ids(user))
            owner = Partner.objects.filter(pk__in=organisations[:1]).first()
        fields = {
            name: value
            for name, value in data.items()
            if name != "citations" and not name.endswith(("_id", "_ids"))
        }
        citations = [CitationInputSerializer().to_citation(c) for c in data["citations"]]
        return {**fields, "owner": owner, "citations": citations}


class CommitmentInputSerializer(RecordInputSerializer):
    """A commitment made at the meeting being created."""

    title = serializers.CharField(max_length=300)
    description = serializers.CharField(required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=CommitmentKind.choices, default=CommitmentKind.PLEDGE)
    made_by_id = VisibleSlugField(Partner)
    made_by_person_id = VisibleSlugField(Person, required=False, allow_null=True)
    made_to_ids = VisibleSlugField(Partner, many=True, required=False)
    topic_ids = VisibleSlugField(Topic, many=True, required=False)
    target_date = serializers.DateField(required=False, allow_null=True)

    def record_data(self, data) -> dict:
        return {
            **super().record_data(data),
            "made_by": data["made_by_id"],
            "made_by_person": data.get("made_by_person_id"),
            "made_to": data.get("made_to_ids", []),
            "topics": data.get("topic_ids", []),
        }


class MeetingCreateSerializer(RecordInputSerializer):
    """A new meeting with its partners, participants, topics, citations and the commitments
    made at it, written all or nothing through `services.meeting_create_with_commitments`."""

    title = serializers.CharField(max_length=300)
    slug = serializers.SlugField(max_length=160)
    summary = serializers.CharField()
    location = serializers.CharField(max_length=200, required=False, allow_blank=True)
    outcome = serializers.CharField(required=False, allow_blank=True)
    organization_ids = VisibleSlugField(Partner, many=True)
    participant_ids = VisibleSlugField(Person, many=True, required=False)
    topic_ids = VisibleSlugField(Topic, many=True, required=False)
    commitments = CommitmentInputSerializer(many=True, required=False, default=list)

    def create(self, validated_data):
        child = CommitmentInputSerializer(context=self.context)
        commitments = [child.record_data(c) for c in validated_data.pop("commitments")]
        data = {
            **self.record_data(validated_data),
            "partners": validated_data["organization_ids"],
            "participants": validated_data.get("participant_ids", []),
            "topics": validated_data.get("topic_ids", []),
        }
        try:
            return services.meeting_create_with_commitments(
                user=_viewer(self), commitments=commitments, **data
            )
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None
