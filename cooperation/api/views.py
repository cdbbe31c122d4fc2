"""The API's endpoints: one read-only list and detail per record kind, and the meeting create.

Every queryset is the pages' own selector, or the kind's `visible_to`, with the related
records a row shows prefetched through the same policy, so a page of any size costs the same
few queries. Lists take the pages' filters and are read with a cursor, newest first.
"""

from django.db.models import F, Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from cooperation import filtersets, selectors, visibility
from cooperation.api import serializers
from cooperation.models import CommitmentUpdate, Partner, Person, Source, Topic


class RecordViewSet(viewsets.ReadOnlyModelViewSet):
    """One kind's list and detail, as the user may see them."""

    lookup_field = "slug"
    lookup_value_converter = "slug"
    # Newest first by the primary key: the one order every kind has an index for and no
    # record is missing (a meeting's date may be unknown).
    cursor_ordering: tuple[str, ...] = ("-id",)

    def viewer(self):
        return self.request.user

    def records(self):
        raise NotImplementedError

    def get_queryset(self):
        return selectors.with_citations(self.records(), user=self.viewer())


@extend_schema_view(
    list=extend_schema(summary=_("Partners, as Popolo organizations")),
    retrieve=extend_schema(summary=_("One partner")),
)
class OrganizationViewSet(RecordViewSet):
    serializer_class = serializers.OrganizationSerializer
    filterset_class = filtersets.PartnerFilterSet
    cursor_ordering = ("slug",)

    def records(self):
        partners = Partner.objects.visible_to(self.viewer()).select_related("parent")
        return visibility.with_shown(partners, self.viewer(), "parent")


@extend_schema_view(
    list=extend_schema(summary=_("People, as Popolo persons")),
    retrieve=extend_schema(summary=_("One person")),
)
class PersonViewSet(RecordViewSet):
    serializer_class = serializers.PersonSerializer
    cursor_ordering = ("slug",)

    def records(self):
        people = Person.objects.visible_to(self.viewer()).select_related("partner")
        return visibility.with_shown(people, self.viewer(), "partner")


@extend_schema_view(
    list=extend_schema(summary=_("People's roles in partners, as Popolo memberships")),
    retrieve=extend_schema(summary=_("One membership, by the person's id")),
)
class MembershipViewSet(PersonViewSet):
    serializer_class = serializers.MembershipSerializer


@extend_schema_view(
    list=extend_schema(summary=_("Topics of cooperation")),
    retrieve=extend_schema(summary=_("One topic")),
)
class TopicViewSet(RecordViewSet):
    serializer_class = serializers.TopicSerializer
    cursor_ordering = ("slug",)

    def get_queryset(self):
        return Topic.objects.visible_to(self.viewer())


@extend_schema_view(
    list=extend_schema(summary=_("Source documents")),
    retrieve=extend_schema(summary=_("One source, with its full text")),
)
class SourceViewSet(RecordViewSet):
    serializer_class = serializers.SourceSerializer
    lookup_field = "pk"
    lookup_value_converter = "int"

    def get_queryset(self):
        return Source.objects.visible_to(self.viewer())


@extend_schema_view(
    list=extend_schema(summary=_("Meetings, as Popolo events")),
    retrieve=extend_schema(summary=_("One meeting")),
    create=extend_schema(
        summary=_("Record a meeting with its commitments and citations (Editors)"),
        request=serializers.MeetingCreateSerializer,
        responses={201: serializers.EventSerializer},
    ),
)
class EventViewSet(mixins.CreateModelMixin, RecordViewSet):
    serializer_class = serializers.EventSerializer
    filterset_class = filtersets.MeetingFilterSet

    def records(self):
        user = self.viewer()
        return selectors.meeting_list(user=user).prefetch_related(
            Prefetch("participants", queryset=Person.objects.visible_to(user).order_by("name")),
            Prefetch(
                "commitments",
                queryset=selectors.commitment_list(user=user).order_by(
                    F("date").desc(nulls_last=True), "title"
                ),
            ),
        )

    def get_serializer_class(self):
        if self.action == "create":
            return serializers.MeetingCreateSerializer
        return super().get_serializer_class()

    def create(self, request, *args, **kwargs):
        writer = self.get_serializer(data=request.data)
        writer.is_valid(raise_exception=True)
        meeting = writer.save()
        created = self.get_queryset().get(pk=meeting.pk)
        body = serializers.EventSerializer(created, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary=_("Commitments, with their status history")),
    retrieve=extend_schema(summary=_("One commitment")),
)
class CommitmentViewSet(RecordViewSet):
    serializer_class = serializers.CommitmentSerializer
    filterset_class = filtersets.CommitmentFilterSet
    lookup_field = "pk"
    lookup_value_converter = "int"

    def records(self):
        user = self.viewer()
        updates = visibility.with_shown(
            CommitmentUpdate.objects.select_related("source"), user, "source"
        )
        commitments = visibility.with_shown(
            selectors.commitment_list(user=user).select_related("made_by_person"),
            user,
            "made_by_person",
        )
        return commitments.prefetch_related(Prefetch("updates", queryset=updates))


@extend_schema_view(
    list=extend_schema(summary=_("Complaint counts")),
    retrieve=extend_schema(summary=_("One complaint count")),
)
class ComplaintCountViewSet(RecordViewSet):
    serializer_class = serializers.ComplaintCountSerializer
    filterset_class = filtersets.ComplaintCountFilterSet
    lookup_field = "pk"
    lookup_value_converter = "int"
    # The newest period first, as the complaint_timeline_idx index holds them.
    cursor_ordering = ("-period_start", "-id")

    def records(self):
        user = self.viewer()
        counts = selectors.complaintcount_list(user=user).select_related("meeting")
        return visibility.with_shown(counts, user, "meeting")


@extend_schema_view(
    list=extend_schema(summary=_("Milestones")),
    retrieve=extend_schema(summary=_("One milestone")),
)
class MilestoneViewSet(RecordViewSet):
    serializer_class = serializers.MilestoneSerializer
    filterset_class = filtersets.MilestoneFilterSet

    def records(self):
        return selectors.milestone_list(user=self.viewer())
