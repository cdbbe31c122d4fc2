"""The admin panel: every record editable, searchable and filterable, with its history.

Saving goes through `cooperation.services`, inside the admin's transaction: the record with its
links, then each inline row (citations, commitments made at a meeting, commitment updates), so
the admin obeys the same rules and leaves the same history as import and the API.
"""

from django.contrib import admin
from django.contrib.contenttypes.admin import GenericStackedInline
from django.db.models import URLField
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from cooperation import models, services
from cooperation.admin_protection import ProtectCitedAdminMixin

admin.site.site_header = _("Concord administration")
admin.site.site_title = _("Concord")
admin.site.index_title = _("Records")


class CitationInline(GenericStackedInline):
    model = models.Citation
    extra = 0
    min_num = 0
    fields = ["source", "passage", "quoted_person"]
    autocomplete_fields = ["source", "quoted_person"]
    verbose_name = _("citation")
    verbose_name_plural = _("citations (the source passages this record rests on)")


class CommitmentInline(admin.StackedInline):
    model = models.Commitment
    fk_name = "meeting"
    extra = 0
    fields = [
        ("title", "kind"),
        ("made_by", "made_by_person"),
        "made_to",
        ("date", "date_precision", "date_inferred"),
        "target_date",
        "topics",
        "visibility",
    ]
    autocomplete_fields = ["made_by", "made_by_person", "made_to", "topics"]
    show_change_link = True


class CommitmentUpdateInline(admin.TabularInline):
    model = models.CommitmentUpdate
    extra = 0
    fields = ["date", "date_precision", "date_inferred", "status", "note", "source", "passage"]
    autocomplete_fields = ["source"]

    def has_change_permission(self, request, obj=None):
        # The history is append-only: corrections are new entries.
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def form_links(form) -> dict:
    """The many-to-many links a model form edits, by field name, as its cleaned data has them."""
    return {
        field.name: form.cleaned_data[field.name]
        for field in form.instance._meta.many_to_many
        if field.name in form.cleaned_data
    }


class ServiceAdmin(SimpleHistoryAdmin):
    """Writes through the services, each change attributed to the signed-in user."""

    def save_model(self, request, obj, form, change):
        services.record_save(record=obj, m2m=form_links(form), user=request.user)

    def save_related(self, request, form, formsets, change):
        # save_model has set the links already, so the form's save_m2m() is not called.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        # commit=False sorts the rows into new, changed and deleted (the change message reads
        # those lists) and links each new row to its record, without writing anything.
        formset.save(commit=False)
        for obj in formset.deleted_objects:
            services.record_delete(record=obj, user=request.user)
        for row in formset.saved_forms:
            services.record_save(record=row.instance, m2m=form_links(row), user=request.user)

    def delete_model(self, request, obj):
        services.record_delete(record=obj, user=request.user)


class RecordAdmin(ServiceAdmin):
    """Shared defaults: visibility filter, citations inline, timestamps read-only."""

    inlines = [CitationInline]
    readonly_fields = ["created_at", "updated_at"]
    list_per_page = 50
    show_full_result_count = False


@admin.register(models.Topic)
class TopicAdmin(ServiceAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(models.Source)
class SourceAdmin(ServiceAdmin):
    formfield_overrides = {URLField: {"assume_scheme": "https"}}
    fields = [
        "title",
        "reference",
        "publisher",
        "published_on",
        "url",
        "text",
        "notes",
        "visibility",
        "created_at",
        "updated_at",
    ]
    list_display = ["title", "reference", "publisher", "published_on", "visibility"]
    list_filter = ["visibility", "publisher"]
    search_fields = ["title", "reference", "publisher", "text"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(models.Partner)
class PartnerAdmin(ProtectCitedAdminMixin, RecordAdmin):
    list_display = ["name", "short_name", "kind", "country", "parent", "visibility"]
    list_filter = ["kind", "country", "visibility"]
    search_fields = ["name", "short_name", "slug", "description"]
    autocomplete_fields = ["parent"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["parent"]


@admin.register(models.Person)
class PersonAdmin(ProtectCitedAdminMixin, RecordAdmin):
    list_display = ["name", "role", "partner", "visibility"]
    list_filter = ["visibility", "partner__kind"]
    search_fields = ["name", "role", "partner__name"]
    autocomplete_fields = ["partner"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["partner"]


DATE_FIELDS = ("date", "date_precision", "date_inferred", "date_note")


@admin.register(models.Meeting)
class MeetingAdmin(RecordAdmin):
    list_display = ["title", "date", "date_precision", "location", "visibility"]
    list_filter = ["visibility", "date_precision", "topics", "partners__kind"]
    search_fields = ["title", "summary", "outcome", "location", "partners__name"]
    autocomplete_fields = ["partners", "participants", "topics"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "date"
    inlines = [CommitmentInline, CitationInline]
    fieldsets = [
        (None, {"fields": ["title", "slug", "visibility", "location"]}),
        (_("When"), {"fields": [DATE_FIELDS]}),
        (
            _("Who and what"),
            {"fields": ["partners", "participants", "topics", "summary", "outcome"]},
        ),
        (_("Record"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]


@admin.register(models.Commitment)
class CommitmentAdmin(RecordAdmin):
    list_display = ["title", "made_by", "status", "date", "target_date", "visibility"]
    list_filter = ["status", "kind", "visibility", "made_by"]
    search_fields = ["title", "description", "made_by__name"]
    autocomplete_fields = ["made_by", "made_by_person", "made_to", "meeting", "topics"]
    date_hierarchy = "date"
    list_select_related = ["made_by"]
    inlines = [CommitmentUpdateInline, CitationInline]
    readonly_fields = ["status", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "kind", "description", "visibility"]}),
        (_("Who"), {"fields": ["made_by", "made_by_person", "made_to", "meeting", "topics"]}),
        (_("When"), {"fields": [DATE_FIELDS, "target_date"]}),
        (
            _("Status"),
            {
                "fields": ["status"],
                "description": _("The status follows the latest entry in the history below."),
            },
        ),
    ]

    def save_formset(self, request, form, formset, change):
        if formset.model is not models.CommitmentUpdate:
            return super().save_formset(request, form, formset, change)
        formset.save(commit=False)
        # The history is append-only (the inline allows neither change nor deletion).
        for row in formset.saved_forms:
            services.commitment_add_update(
                commitment=form.instance,
                user=request.user,
                **{name: row.cleaned_data[name] for name in CommitmentUpdateInline.fields},
            )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.commitment_refresh_status(commitment=form.instance, user=request.user)


@admin.register(models.ComplaintCount)
class ComplaintCountAdmin(RecordAdmin):
    list_display = [
        "received_by",
        "period_start",
        "period_end",
        "count",
        "verified_share",
        "visibility",
    ]
    list_filter = ["visibility", "approximate", "received_by"]
    search_fields = ["origin", "received_by__name", "period_note"]
    autocomplete_fields = ["received_by", "meeting"]
    date_hierarchy = "period_end"
    list_select_related = ["received_by"]


@admin.register(models.Milestone)
class MilestoneAdmin(RecordAdmin):
    list_display = ["title", "kind", "date", "date_precision", "visibility"]
    list_filter = ["kind", "visibility", "date_precision", "topics"]
    search_fields = ["title", "description", "partners__name"]
    autocomplete_fields = ["partners", "topics"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "date"


@admin.register(models.Citation)
class CitationAdmin(ServiceAdmin):
    list_display = ["__str__", "content_type", "object_id", "quoted_person"]
    list_filter = ["content_type", "source"]
    search_fields = ["passage", "source__title"]
    autocomplete_fields = ["source", "quoted_person"]
    list_select_related = ["source", "content_type", "quoted_person"]


@admin.register(models.Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "kind",
        "audience",
        "status",
        "created_at",
        "finished_at",
        "page_count",
    ]
    list_filter = ["kind", "audience", "status"]
    search_fields = ["partner__name", "error"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["partner"]
    readonly_fields = [
        "status",
        "requested_by",
        "created_at",
        "started_at",
        "finished_at",
        "file",
        "size",
        "page_count",
        "sha256",
        "parameters",
        "data_hash",
        "error",
        "attempts",
    ]
