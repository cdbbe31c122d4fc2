"""The admin panel: every record editable, searchable and filterable, with its history.

Saving goes through `cooperation.services`, inside the admin's transaction: the record with its
links, then each inline row (citations, commitments made at a meeting, commitment updates), so
the admin obeys the same rules and leaves the same history as import and the API.

Editors see in the admin what `cooperation.visibility` lets them read, and change only what it
lets them edit: records their organisation owns and shared records that involve it. Lists,
related-record choices and autocomplete results all come through the same policy.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.contenttypes.admin import GenericStackedInline
from django.db.models import URLField
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from cooperation import models, services, translations, visibility
from cooperation.admin_editing import (
    CiteFromSourceMixin,
    CommitmentAtMeetingForm,
    CommitmentAtMeetingFormSet,
    restrict_sources,
)
from cooperation.admin_imports import ImportAdminMixin
from cooperation.admin_lockouts import unlock_sign_in
from cooperation.admin_passages import CitationForm, CommitmentUpdateForm
from cooperation.admin_protection import ProtectCitedAdminMixin
from cooperation.change_sets import change_set
from cooperation.changes import ChangeSetHistoryMixin

admin.site.site_header = _("Concord administration")
admin.site.site_title = _("Concord")
admin.site.index_title = _("Records")


def _restricted(db_field, request, kwargs: dict) -> dict:
    """Choices of a related record narrowed to those the user may see; the owner's to the
    organisations the user belongs to (every partner, for administrators)."""
    related = db_field.related_model
    if db_field.name == "owner" and not visibility.sees_everything(request.user):
        # An editor's records belong to one of their organisations, never to nobody.
        kwargs["queryset"] = models.Partner.objects.filter(
            pk__in=visibility.organisation_ids(request.user)
        )
        kwargs["required"] = True
    elif hasattr(related.objects, "visible_to"):
        kwargs.setdefault("queryset", related.objects.visible_to(request.user))
    return kwargs


class VisiblePartnerFilter(admin.RelatedFieldListFilter):
    """Filter by a related partner, offering only the partners the user may see."""

    def field_choices(self, field, request, model_admin):
        partners = models.Partner.objects.visible_to(request.user).order_by("name")
        return [(partner.pk, str(partner)) for partner in partners.only("pk", "name")]


def masked_column(relation: str, label, ordering: str = "name"):
    """A changelist column for a related record: its name where the user may see it (the
    `<relation>_shown` mark `SharingMixin` puts on each row), a dash otherwise."""

    @admin.display(description=label, ordering=f"{relation}__{ordering}")
    def column(model_admin, obj):
        return getattr(obj, relation) if getattr(obj, f"{relation}_shown", False) else "—"

    return column


def _without(fields, hidden: set[str]) -> list:
    """A fieldset's fields (names or rows of names) less the hidden ones."""
    kept = []
    for field in fields:
        if isinstance(field, list | tuple):
            row = [name for name in field if name not in hidden]
            if row:
                kept.append(tuple(row))
        elif field not in hidden:
            kept.append(field)
    return kept


class TranslationsAdminMixin:
    """The languages of a record side by side, in a section of their own: one row per
    translated field, a column per language (`cooperation.translations`)."""

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        rows = [
            tuple(f"{field}_{code}" for code in translations.LANGUAGE_CODES)
            for field in self.model.translated_fields
        ]
        moved = {"language", *(name for row in rows for name in row)}
        return [
            *(
                (name, {**options, "fields": _without(options["fields"], moved)})
                for name, options in fieldsets
            ),
            (
                _("In other languages"),
                {
                    "fields": ["language", *rows],
                    "classes": ["translations"],
                    "description": _(
                        "Written in: the language of the text above, as entered. Beside it, "
                        "its translations; leave the column of its own language empty. A page "
                        "in a language without a translation shows the original, marked."
                    ),
                },
            ),
        ]


class SharingMixin:
    """Reads and writes in the admin as the visibility policy allows.

    A link to a record the user may not see is never named: changelist columns mask it
    (`masked_relations`), a change form leaves such a field out, and saving keeps the
    many-to-many links the user could not see.
    """

    masked_relations: tuple[str, ...] = ()

    def get_queryset(self, request):
        queryset = super().get_queryset(request).visible_to(request.user)
        return visibility.with_shown(queryset, request.user, *self.masked_relations)

    def _hidden_links(self, request, obj) -> set[str]:
        """The foreign keys of `obj` that point at a record the user may not see."""
        if obj is None:
            return set()
        return {
            field.name
            for field in obj._meta.concrete_fields
            if field.many_to_one
            and getattr(obj, field.attname) is not None
            and not visibility.is_visible(request.user, getattr(obj, field.name))
        }

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        hidden = self._hidden_links(request, obj)
        if not hidden:
            return fieldsets
        return [
            (name, {**options, "fields": _without(options["fields"], hidden)})
            for name, options in fieldsets
        ]

    def links_to_save(self, request, form) -> dict:
        """The form's links, plus those it could not show: linked records the user may not
        see stay linked."""
        links = form_links(form)
        record = form.instance
        if record.pk is None:
            return links
        for name in links:
            related = getattr(record, name)
            if hasattr(related.model.objects, "visible_to"):
                visible = related.model.objects.visible_to(request.user).values("pk")
                links[name] = [*links[name], *related.exclude(pk__in=visible)]
        return links

    def has_view_permission(self, request, obj=None):
        allowed = super().has_view_permission(request, obj)
        return allowed and (obj is None or visibility.is_visible(request.user, obj))

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or visibility.may_edit(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or visibility.may_edit(request.user, obj))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return super().formfield_for_foreignkey(
            db_field, request, **_restricted(db_field, request, kwargs)
        )

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return super().formfield_for_manytomany(
            db_field, request, **_restricted(db_field, request, kwargs)
        )

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        organisations = sorted(visibility.organisation_ids(request.user))
        if organisations and "owner" not in initial:
            initial["owner"] = organisations[0]
        return initial

    def get_readonly_fields(self, request, obj=None):
        # Only the owner's staff (or an administrator) hand a record to another owner.
        fields = list(super().get_readonly_fields(request, obj))
        owners_staff = obj is None or obj.owner_id in visibility.organisation_ids(request.user)
        if not (owners_staff or visibility.sees_everything(request.user)):
            fields.append("owner")
        return fields


class CitationInline(GenericStackedInline):
    model = models.Citation
    form = CitationForm
    extra = 0
    min_num = 0
    fields = ["source", "passage", "quoted_person"]
    autocomplete_fields = ["source", "quoted_person"]
    verbose_name = _("citation")
    verbose_name_plural = _("citations (the source passages this record rests on)")


class CommitmentInline(SharingMixin, admin.StackedInline):
    """A commitment made at the meeting, complete from the meeting's form: what was pledged,
    by whom to whom, when it is due, where it stands and the passage it rests on."""

    model = models.Commitment
    form = CommitmentAtMeetingForm
    formset = CommitmentAtMeetingFormSet
    fk_name = "meeting"
    extra = 0
    fields = [
        ("title", "kind"),
        "description",
        ("made_by", "made_by_person"),
        "made_to",
        ("date", "date_precision", "date_inferred"),
        "target_date",
        "topics",
        "first_status",
        "cite_source",
        "cite_passage",
        ("visibility", "owner"),
    ]
    autocomplete_fields = ["made_by", "made_by_person", "made_to", "topics"]
    show_change_link = True

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        restrict_sources(formset, request.user)
        # A new row is kept by the editor's organisation, as a new record is.
        organisations = sorted(visibility.organisation_ids(request.user))
        owner = formset.form.base_fields.get("owner")
        if owner is not None and organisations and not visibility.sees_everything(request.user):
            owner.initial = organisations[0]
        return formset


class CommitmentUpdateInline(admin.StackedInline):
    """The status history, one entry under another in the order that decides the status
    (undated first, then by date, the last deciding), each marked with its place in it."""

    model = models.CommitmentUpdate
    form = CommitmentUpdateForm
    extra = 0
    # What an editor writes in a new entry; `commitment_add_update` takes these. A copy: an
    # inline formset appends its foreign key to its form's field list.
    entry_fields = tuple(CommitmentUpdateForm.Meta.fields)
    fields = [
        "place_in_history",
        ("date", "date_precision", "date_inferred"),
        "status",
        "note",
        "source",
        "passage",
    ]
    readonly_fields = ["place_in_history"]
    autocomplete_fields = ["source"]
    verbose_name_plural = _("status history (the last entry decides the status)")

    def get_queryset(self, request):
        # The model's own order is the one that decides the status.
        return services.commitments.with_deciding_mark(updates=super().get_queryset(request))

    @admin.display(description=_("place in the history"))
    def place_in_history(self, update):
        if update.pk is None:
            return _("Placed by its date when saved: an undated entry goes first.")
        if update.decides_status:
            return _("Decides the status")
        if update.date is None:
            return _("Undated: listed before the dated entries, so it does not decide the status.")
        return _("History: a later entry decides the status.")

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


class ServiceAdmin(ChangeSetHistoryMixin, SimpleHistoryAdmin):
    """Writes through the services, each change attributed to the signed-in user; one save of
    a form, with all its inline rows, is one change (`cooperation.change_sets`)."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        with change_set():
            return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        with change_set():
            return super().delete_view(request, object_id, extra_context)

    def links_to_save(self, request, form) -> dict:
        return form_links(form)

    def save_model(self, request, obj, form, change):
        services.record_save(record=obj, m2m=self.links_to_save(request, form), user=request.user)

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
            links = self.links_to_save(request, row)
            citations = row.citations_to_add() if hasattr(row, "citations_to_add") else []
            services.record_save(
                record=row.instance, m2m=links, citations=citations, user=request.user
            )
            update = row.first_update() if hasattr(row, "first_update") else None
            if update:
                services.commitment_add_update(commitment=row.instance, user=request.user, **update)

    def delete_model(self, request, obj):
        services.record_delete(record=obj, user=request.user)


class RecordAdmin(CiteFromSourceMixin, SharingMixin, ServiceAdmin):
    """Shared defaults: sharing by organisation, citations inline, timestamps read-only, and a
    new record begun from passages chosen on a source's page."""

    inlines = [CitationInline]
    readonly_fields = ["created_at", "updated_at"]
    list_per_page = 50
    show_full_result_count = False


@admin.register(models.Topic)
class TopicAdmin(TranslationsAdminMixin, ImportAdminMixin, ServiceAdmin):
    import_kinds = ["topic"]
    list_display = ["name", "slug"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(models.Source)
class SourceAdmin(ImportAdminMixin, SharingMixin, ServiceAdmin):
    import_kinds = ["source"]
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
        "owner",
        "created_at",
        "updated_at",
    ]
    list_display = ["title", "reference", "publisher", "published_on", "visibility"]
    list_filter = ["visibility", "publisher"]
    search_fields = ["title", "reference", "publisher", "text"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(models.Partner)
class PartnerAdmin(TranslationsAdminMixin, ImportAdminMixin, ProtectCitedAdminMixin, RecordAdmin):
    import_kinds = ["partner"]
    list_display = ["name", "short_name", "kind", "country", "part_of", "visibility", "owned_by"]
    masked_relations = ("parent", "owner")
    part_of = masked_column("parent", _("part of"))
    owned_by = masked_column("owner", _("owner"))
    list_select_related = ["parent", "owner"]
    list_filter = ["kind", "country", "visibility"]
    search_fields = ["name", "short_name", "slug", "description"]
    autocomplete_fields = ["parent"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(models.Person)
class PersonAdmin(ImportAdminMixin, ProtectCitedAdminMixin, RecordAdmin):
    import_kinds = ["person"]
    list_display = ["name", "role", "of_partner", "visibility"]
    masked_relations = ("partner",)
    of_partner = masked_column("partner", _("partner"))
    list_filter = ["visibility", "partner__kind"]
    search_fields = ["name", "role", "partner__name"]
    autocomplete_fields = ["partner"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["partner"]


DATE_FIELDS = ("date", "date_precision", "date_inferred", "date_note")
PLAN_FIELDSET = (
    _("Action plan"),
    {
        "fields": ["pillar", "pillar_note"],
        "description": _(
            "The pillar this record serves, only where the sources say enough to place it; "
            "the note says what in them does."
        ),
    },
)


@admin.register(models.Meeting)
class MeetingAdmin(TranslationsAdminMixin, ImportAdminMixin, RecordAdmin):
    import_kinds = ["meeting"]
    list_display = ["title", "date", "date_precision", "location", "visibility"]
    list_filter = ["visibility", "pillar", "date_precision", "topics", "partners__kind"]
    search_fields = ["title", "summary", "outcome", "location", "partners__name"]
    autocomplete_fields = ["partners", "participants", "topics"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "date"
    inlines = [CommitmentInline, CitationInline]
    fieldsets = [
        (None, {"fields": ["title", "slug", ("visibility", "owner"), "location"]}),
        (_("When"), {"fields": [DATE_FIELDS]}),
        (
            _("Who and what"),
            {"fields": ["partners", "participants", "topics", "summary", "outcome"]},
        ),
        PLAN_FIELDSET,
        (_("Record"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]


@admin.register(models.Commitment)
class CommitmentAdmin(TranslationsAdminMixin, ImportAdminMixin, RecordAdmin):
    import_kinds = ["commitment", "commitment_update"]
    list_display = ["title", "by", "status", "date", "target_date", "visibility"]
    masked_relations = ("made_by",)
    by = masked_column("made_by", _("by"))
    list_filter = ["status", "kind", "pillar", "visibility", ("made_by", VisiblePartnerFilter)]
    search_fields = ["title", "description", "made_by__name"]
    autocomplete_fields = ["made_by", "made_by_person", "made_to", "meeting", "topics"]
    date_hierarchy = "date"
    list_select_related = ["made_by"]
    inlines = [CommitmentUpdateInline, CitationInline]
    readonly_fields = ["status", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["title", "kind", "description", ("visibility", "owner")]}),
        (_("Who"), {"fields": ["made_by", "made_by_person", "made_to", "meeting", "topics"]}),
        (_("When"), {"fields": [DATE_FIELDS, "target_date"]}),
        (
            _("Status"),
            {
                "fields": ["status"],
                "description": _(
                    "The status is that of the latest entry in the status history below. "
                    "Undated entries come first, then dated ones from the earliest date to "
                    "the latest (a month or a year counts from its first day), and entries of "
                    "the same date in the order they were recorded. An undated entry, or one "
                    "dated before the latest, is kept as history and leaves the status as it is."
                ),
            },
        ),
        PLAN_FIELDSET,
    ]

    def save_formset(self, request, form, formset, change):
        if formset.model is not models.CommitmentUpdate:
            return super().save_formset(request, form, formset, change)
        formset.save(commit=False)
        # The history is append-only (the inline allows neither change nor deletion).
        # The new entries are kept on the formset for save_related to explain.
        formset.added_updates = [
            services.commitment_add_update(
                commitment=form.instance,
                user=request.user,
                **{name: row.cleaned_data[name] for name in CommitmentUpdateInline.entry_fields},
            )
            for row in formset.saved_forms
        ]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        commitment = services.commitment_refresh_status(commitment=form.instance, user=request.user)
        self.warn_of_entries_kept_as_history(request, commitment, formsets)

    def warn_of_entries_kept_as_history(self, request, commitment, formsets) -> None:
        """A warning for each new entry that does not decide the status, saying why, beside
        the admin's message that the commitment was saved."""
        deciding = services.commitments.commitment_deciding_update(commitment=commitment)
        for formset in formsets:
            for update in getattr(formset, "added_updates", ()):
                reason = services.commitments.update_placement(update=update, deciding=deciding)
                if reason:
                    message = _("The new entry “%(entry)s” does not change the status. %(reason)s")
                    self.message_user(
                        request,
                        message % {"entry": update, "reason": reason},
                        level="warning",
                    )


@admin.register(models.ComplaintCount)
class ComplaintCountAdmin(ImportAdminMixin, RecordAdmin):
    import_kinds = ["complaintcount"]
    masked_relations = ("received_by",)
    received = masked_column("received_by", _("received by"))
    list_display = [
        "received",
        "period_start",
        "period_end",
        "count",
        "verified_share",
        "visibility",
    ]
    list_filter = ["visibility", "approximate", ("received_by", VisiblePartnerFilter)]
    search_fields = ["origin", "received_by__name", "period_note"]
    autocomplete_fields = ["received_by", "meeting"]
    date_hierarchy = "period_end"
    list_select_related = ["received_by"]


@admin.register(models.Milestone)
class MilestoneAdmin(TranslationsAdminMixin, ImportAdminMixin, RecordAdmin):
    import_kinds = ["milestone"]
    list_display = ["title", "kind", "date", "date_precision", "visibility"]
    list_filter = ["kind", "pillar", "visibility", "date_precision", "topics"]
    search_fields = ["title", "description", "partners__name"]
    autocomplete_fields = ["partners", "topics"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "date"
    fieldsets = [
        (None, {"fields": ["title", "slug", "kind", ("visibility", "owner")]}),
        (_("When"), {"fields": [DATE_FIELDS]}),
        (_("Who and what"), {"fields": ["partners", "topics", "description"]}),
        PLAN_FIELDSET,
        (_("Record"), {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]


@admin.register(models.Citation)
class CitationAdmin(ServiceAdmin):
    list_display = ["__str__", "content_type", "object_id", "quoted_person"]
    list_filter = ["content_type"]
    search_fields = ["passage", "source__title"]
    autocomplete_fields = ["source", "quoted_person"]
    list_select_related = ["source", "content_type", "quoted_person"]

    def get_queryset(self, request):
        # A citation quotes its source: it shows where the user may read that source.
        sources = models.Source.objects.visible_to(request.user).values("pk")
        return super().get_queryset(request).filter(source__in=sources)


@admin.register(models.Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "kind",
        "audience",
        "language",
        "status",
        "created_at",
        "finished_at",
        "page_count",
    ]
    list_filter = ["kind", "audience", "language", "status"]
    search_fields = ["partner__name", "error"]

    def get_queryset(self, request):
        return visibility.restrict(super().get_queryset(request), request.user)

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


class MembershipInline(admin.TabularInline):
    model = models.Membership
    extra = 0
    autocomplete_fields = ["partner"]
    verbose_name = _("organisation")
    verbose_name_plural = _(
        "organisations (the user reads what is shared with these, and their internal records)"
    )


class ConcordUserAdmin(UserAdmin):
    """Django's user admin, with the organisations each user belongs to and an action that
    unlocks their sign-in."""

    inlines = [*UserAdmin.inlines, MembershipInline]
    list_display = [*UserAdmin.list_display, "organisations"]
    actions = [unlock_sign_in]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("memberships__partner")

    @admin.display(description=_("organisations"))
    def organisations(self, user):
        return ", ".join(str(m.partner) for m in user.memberships.all()) or "—"


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), ConcordUserAdmin)


@admin.register(models.Follow)
class FollowAdmin(admin.ModelAdmin):
    """Who follows what; a user's digest is made of these."""

    list_display = ["user", "partner", "topic", "commitment", "created_at"]
    list_select_related = ["user", "partner", "topic", "commitment"]
    search_fields = ["user__username", "user__email"]
    raw_id_fields = ["user", "partner", "topic", "commitment"]
    date_hierarchy = "created_at"


@admin.register(models.Digest)
class DigestAdmin(admin.ModelAdmin):
    """The digests sent, empty or failed, and why: a record of the sending, not to be edited."""

    list_display = ["user", "frequency", "period_start", "period_end", "status", "sent_at"]
    list_display += ["line_count", "error"]
    list_filter = ["status", "frequency"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email", "recipient"]
    date_hierarchy = "period_end"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
