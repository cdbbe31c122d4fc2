"""`/changes/`: the latest changes across every record, for signed-in users.

One row per save (`cooperation.change_sets`): when, who, what happened, to which record, which
fields changed from what to what, and the other records the same save wrote (its parts: the
commitments made at a meeting, their citations). A historical record written outside a change
set is a change of its own. The list is one UNION query over every history table, filtered in
each branch; the details of a page cost two queries per kind of record on it, plus two per
many-to-many link it tracks, plus one for the parts and one per kind of part, however many
rows it has.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import django_tables2 as tables
from django import forms
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.db.models import CharField, F, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import NoReverseMatch
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from simple_history.utils import get_m2m_reverse_field_name

from cooperation import visibility
from cooperation.dates import format_moment
from cooperation.forms import DateInput
from cooperation.models import Citation, Membership
from cooperation.pagination import table_paginate
from cooperation.passages import quoted
from cooperation.visibility import Viewer

PER_PAGE = 50
VALUE_LENGTH = 80

ACTIONS = {"+": _("Created"), "~": _("Changed"), "-": _("Deleted")}

# Models whose public page URL can be built from the record's own fields, without a query.
LINKED_MODELS = {"partner", "meeting", "commitment", "complaintcount", "milestone", "source"}


def tracked_models() -> list:
    """Every cooperation record kind that keeps a django-simple-history history, by verbose
    name. Memberships are access, not records: their history is in the admin."""
    found = [
        model
        for model in apps.get_app_config("cooperation").get_models()
        if getattr(model._meta, "simple_history_manager_attribute", None)
        and model is not Membership
    ]
    return sorted(found, key=lambda model: str(model._meta.verbose_name))


def history_model(model):
    """The django-simple-history model that keeps this model's versions."""
    return getattr(model, model._meta.simple_history_manager_attribute).model


def model_choices() -> list[tuple[str, str]]:
    """The record types to filter by, by model name, after "Any"."""
    return [("", _("Any"))] + [
        (model._meta.model_name, capfirst(model._meta.verbose_name)) for model in tracked_models()
    ]


class ChangeFilterForm(forms.Form):
    """Narrows the change list by who made the change, the kind of record, and when."""

    user = forms.ModelChoiceField(
        label=_("By"),
        queryset=get_user_model().objects.order_by("username"),
        required=False,
        empty_label=_("Anyone"),
    )
    model = forms.ChoiceField(label=_("Record type"), choices=model_choices, required=False)
    since = forms.DateField(label=_("From"), required=False, widget=DateInput())
    until = forms.DateField(label=_("Until"), required=False, widget=DateInput())

    def to_filters(self) -> dict[str, Any]:
        """`changes_union`'s arguments; an unbound or invalid form narrows nothing."""
        if not (self.is_bound and self.is_valid()):
            return {}
        data = self.cleaned_data
        return {
            "changed_by": data["user"],
            "model": data["model"] or None,
            "since": data["since"],
            "until": data["until"],
        }


def visible_history(tracked, viewer: Viewer | None) -> QuerySet:
    """The historical records of `tracked` whose record the viewer may see today."""
    rows = history_model(tracked).objects.order_by()
    if not visibility.sees_everything(viewer):
        rows = rows.filter(id__in=tracked._default_manager.visible_to(viewer).values("pk"))
    return rows


def changes_union(
    *,
    viewer: Viewer | None,
    changed_by: AbstractBaseUser | None = None,
    model: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> QuerySet:
    """One row a change: the first historical record of each save (or each historical record
    written outside one) of every tracked model (or only `model`, by its model name) that the
    viewer may see today, as one UNION query filtered in each branch, newest first. The
    history of a deleted record shows to administrators only."""
    branches = []
    for tracked in tracked_models():
        name = tracked._meta.model_name
        if model and model != name:
            continue
        rows = visible_history(tracked, viewer).filter(history_lead=True)
        if changed_by:
            rows = rows.filter(history_user=changed_by)
        if since:
            rows = rows.filter(history_date__date__gte=since)
        if until:
            rows = rows.filter(history_date__date__lte=until)
        branches.append(
            rows.annotate(
                model=Value(name, output_field=CharField()),
                user_name=F("history_user__username"),
            ).values(
                "history_id",
                "history_date",
                "history_type",
                "id",
                "model",
                "user_name",
                "history_change",
            )
        )
    if not branches:
        return history_model(tracked_models()[0]).objects.none()
    first, *rest = branches
    return first.union(*rest, all=True).order_by("-history_date", "-history_id")


class ChangeTable(tables.Table):
    """The change list: one row per historical record."""

    history_date = tables.Column(verbose_name=_("When"), attrs={"td": {"class": "nowrap"}})
    user_name = tables.Column(verbose_name=_("By"), default=_("(system)"))
    history_type = tables.Column(verbose_name=_("Action"))
    model = tables.Column(verbose_name=_("Record type"))
    record = tables.Column(verbose_name=_("Record"), empty_values=(), accessor="history_id")
    changes = tables.Column(verbose_name=_("What changed"), empty_values=(), accessor="id")

    class Meta:
        orderable = False
        attrs = {"class": "table changes"}
        empty_text = _("No changes match these filters.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.details = {}
        self.diffs = {}
        self.parts: dict[UUID, list[Part]] = {}
        self.verbose_names = {
            model._meta.model_name: capfirst(model._meta.verbose_name) for model in tracked_models()
        }

    def render_history_date(self, value):
        return format_moment(value)

    def value_history_date(self, value):
        return value.isoformat()

    def render_history_type(self, value):
        return ACTIONS.get(value, value)

    def render_model(self, value):
        return self.verbose_names.get(value, value)

    def render_record(self, record):
        label, url = self.details.get((record["model"], record["history_id"]), ("", None))
        if url:
            return format_html('<a href="{}">{}</a>', url, label)
        return label or "—"

    def render_changes(self, record):
        parts = parts_html(self.parts.get(record["history_change"]))
        if record["history_type"] != "~":
            return parts or "—"
        diff = self.diffs.get((record["model"], record["history_id"]))
        if not diff:
            return format_html("{}{}", _("No field changed"), parts)
        return format_html(
            '<ul class="diff">{}</ul>{}',
            format_html_join(
                "",
                '<li><span class="field">{}</span> <del>{}</del> → <ins>{}</ins></li>',
                diff,
            ),
            parts,
        )

    def load_details(self, *, viewer: Viewer | None) -> None:
        """Labels, links and field changes for the rows on the current page, and the parts of
        each save; a linked record the viewer may not see is named as a dash."""
        wanted = {}
        leads = {}
        for row in self.page.object_list:
            wanted.setdefault(row.record["model"], set()).add(row.record["history_id"])
            if row.record["history_change"]:
                leads[row.record["history_change"]] = (row.record["model"], row.record["id"])
        for model in tracked_models():
            ids = wanted.get(model._meta.model_name)
            if not ids:
                continue
            self._load_model_details(model, ids, viewer)
        self.parts = change_parts(leads, viewer=viewer)

    def _load_model_details(self, model, history_ids, viewer) -> None:
        history = history_model(model)
        name = model._meta.model_name
        object_ids = history.objects.filter(history_id__in=history_ids).values("id")
        # Walk each record's versions in order: the version before each one on the page, and
        # the last one its save wrote (a save sets a record's links after the record).
        previous_of, last_of = {}, {}
        last_seen, lead_of_change = {}, {}
        for history_id, object_id, change in (
            history.objects.filter(id__in=object_ids)
            .order_by("history_date", "history_id")
            .values_list("history_id", "id", "history_change")
        ):
            if history_id in history_ids:
                previous_of[history_id] = last_seen.get(object_id)
                last_of[history_id] = history_id
                if change:
                    lead_of_change[(object_id, change)] = history_id
            elif change and (object_id, change) in lead_of_change:
                last_of[lead_of_change[(object_id, change)]] = history_id
            last_seen[object_id] = history_id
        needed = set(history_ids) | set(last_of.values())
        needed |= {pk for pk in previous_of.values() if pk}
        versions = {v.history_id: v for v in history.objects.filter(history_id__in=needed)}
        links = m2m_links(history, needed, viewer)
        for history_id in history_ids:
            version = versions.get(history_id)
            if version is None:
                continue
            key = (name, history_id)
            after = versions.get(last_of.get(history_id), version)
            self.details[key] = (record_label(after), record_url(after, name))
            before = versions.get(previous_of.get(history_id))
            if before is not None and version.history_type == "~":
                self.diffs[key] = field_changes(after, before, links)


@dataclass(frozen=True)
class Part:
    """One other record a save wrote: what it is, what happened to it, and its name."""

    kind: str
    action: str
    label: str
    url: str | None


def change_parts(
    leads: dict[UUID, tuple[str, int]], *, viewer: Viewer | None
) -> dict[UUID, list[Part]]:
    """For each change key, the records its save wrote besides its lead record (model name,
    id), in the order written, one line a record: created if the save created it, deleted if
    it deleted it, changed otherwise. Only records the viewer may see are listed; one UNION
    query for the rows, then one per kind of record among them."""
    if not leads:
        return {}
    branches = [
        visible_history(tracked, viewer)
        .filter(history_change__in=list(leads))
        .annotate(model=Value(tracked._meta.model_name, output_field=CharField()))
        .values("history_date", "history_id", "history_change", "history_type", "id", "model")
        for tracked in tracked_models()
    ]
    first, *rest = branches
    rows = first.union(*rest, all=True).order_by("history_date", "history_id")
    # {change: {(model, id): [first action, last history id]}}, in the order first written.
    written: dict[UUID, dict[tuple[str, int], list]] = {}
    for row in rows:
        record = (row["model"], row["id"])
        if record == leads[row["history_change"]]:
            continue
        seen = written.setdefault(row["history_change"], {})
        if record in seen:
            seen[record][1] = row["history_id"]
            if row["history_type"] == "-":
                seen[record][0] = "-"
        else:
            seen[record] = [row["history_type"], row["history_id"]]
    wanted: dict[str, set[int]] = {}
    for records in written.values():
        for (model, _id), (_action, history_id) in records.items():
            wanted.setdefault(model, set()).add(history_id)
    by_model = {model._meta.model_name: model for model in tracked_models()}
    versions = {
        (name, version.history_id): version
        for name, ids in wanted.items()
        for version in history_model(by_model[name]).objects.filter(history_id__in=ids)
    }
    parts: dict[UUID, list[Part]] = {}
    for change, records in written.items():
        for (model, _id), (action, history_id) in records.items():
            version = versions[(model, history_id)]
            url = None if action == "-" else record_url(version, model)
            kind = capfirst(by_model[model]._meta.verbose_name)
            parts.setdefault(change, []).append(
                Part(kind, ACTIONS.get(action, action), record_label(version), url)
            )
    return parts


def parts_html(parts: list[Part] | None) -> str:
    """The parts of a save as a list under its row, or nothing."""
    if not parts:
        return ""
    items = format_html_join(
        "",
        "<li>{} · {} {}</li>",
        (
            (
                part.action,
                part.kind.lower() if part.kind else "",
                format_html('<a href="{}">{}</a>', part.url, part.label)
                if part.url
                else part.label,
            )
            for part in parts
        ),
    )
    return format_html(
        '<p class="parts-heading">{}</p><ul class="parts">{}</ul>',
        _("In the same save:"),
        items,
    )


class ChangeSetHistoryMixin:
    """A record's history in the admin, one line a save: the record as the save left it,
    compared with the save before, with what the save did to it and the other records the
    same save wrote listed under it."""

    object_history_list_template = "admin/cooperation/object_history_list.html"

    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        rows = super().get_history_queryset(request, history_manager, pk_name, object_id)
        own = history_manager.filter(**{pk_name: object_id}).order_by()
        last_of_saves = (
            own.filter(history_change__isnull=False)
            .values("history_change")
            .annotate(last=Max("history_id"))
            .values("last")
        )
        first_action = (
            own.filter(history_change=OuterRef("history_change"))
            .order_by("history_id")
            .values("history_type")[:1]
        )
        return rows.filter(
            Q(history_change__isnull=True) | Q(history_id__in=last_of_saves)
        ).annotate(save_type=Coalesce(Subquery(first_action), F("history_type")))

    def set_history_delta_changes(self, request, historical_records, **kwargs):
        super().set_history_delta_changes(request, historical_records, **kwargs)
        name = self.model._meta.model_name
        records = list(historical_records)
        leads = {row.history_change: (name, row.id) for row in records if row.history_change}
        parts = change_parts(leads, viewer=request.user)
        for row in records:
            row.save_action = ACTIONS.get(row.save_type, row.save_type)
            row.save_parts = parts_html(parts.get(row.history_change))


def record_label(version) -> str:
    """A name for the record as it was, built from its own fields (no query)."""
    for field in ("title", "name"):
        value = getattr(version, field, None)
        if value:
            return value
    if version.instance_type is Citation:
        passage = version.passage.strip()
        return quoted(passage if len(passage) <= 60 else passage[:59] + "…")
    try:
        return str(version.instance)
    except Exception:  # a __str__ that needs a related row that is gone
        return f"#{version.id}"


def record_url(version, model_name) -> str | None:
    """The record's public page, for a kind that has one and a record not deleted."""
    if version.history_type == "-" or model_name not in LINKED_MODELS:
        return None
    try:
        return version.instance.get_absolute_url()
    except NoReverseMatch:
        return None


def _short(value) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= VALUE_LENGTH else text[: VALUE_LENGTH - 1] + "…"


def m2m_links(history, history_ids, viewer) -> dict[tuple[str, int], list[str]]:
    """{(link name, history id): names linked in that version}, two queries per link; a
    record the viewer may not see is a dash."""
    links = {}
    for field in history._history_m2m_fields:
        through = getattr(history, field.name).model  # the link's own history table
        pairs = list(
            through.objects.filter(history_id__in=history_ids).values_list(
                "history_id", get_m2m_reverse_field_name(field)
            )
        )
        related = field.related_model.objects
        names = related.visible_to(viewer).in_bulk({target for _, target in pairs})
        for history_id, target in sorted(pairs, key=lambda pair: str(names.get(pair[1], ""))):
            label = str(names[target]) if target in names else "—"
            links.setdefault((field.name, history_id), []).append(label)
    return links


def field_changes(version, before, links) -> list[tuple[str, str, str]]:
    """(field, old, new) for each field, or many-to-many link, this version changed."""
    opts = version.instance_type._meta
    m2m_names = [field.name for field in version._history_m2m_fields]
    delta = version.diff_against(before, excluded_fields=["updated_at", *m2m_names])
    rows = []
    for change in delta.changes:
        field = opts.get_field(change.field)
        rows.append((capfirst(field.verbose_name), _short(change.old), _short(change.new)))
    for name in m2m_names:
        old = links.get((name, before.history_id), [])
        new = links.get((name, version.history_id), [])
        if old != new:
            label = capfirst(opts.get_field(name).verbose_name)
            rows.append((label, _short(", ".join(old)), _short(", ".join(new))))
    return rows


@login_required
def change_list(request):
    """The latest changes across all records, filterable by user, record type and date."""
    form = ChangeFilterForm(request.GET or None)
    table = ChangeTable(changes_union(viewer=request.user, **form.to_filters()))
    try:
        get_template(table.template_name)
    except TemplateDoesNotExist:
        table.template_name = "django_tables2/table.html"
    table_paginate(table, request=request, per_page=PER_PAGE)
    table.load_details(viewer=request.user)
    return render(request, "cooperation/changes_list.html", {"form": form, "table": table})
