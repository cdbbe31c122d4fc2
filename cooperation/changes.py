"""`/changes/`: the latest changes across every record, for signed-in users.

One row per historical record (django-simple-history): when, who, what happened, to which
record, and which fields changed from what to what. The list is one UNION query over every
history table, filtered in each branch; the details of a page cost two queries per kind of
record on it, plus two per many-to-many link it tracks, however many rows it has.
"""

from datetime import date
from typing import Any

import django_tables2 as tables
from django import forms
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.db.models import CharField, F, QuerySet, Value
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


def changes_union(
    *,
    viewer: Viewer | None,
    changed_by: AbstractBaseUser | None = None,
    model: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> QuerySet:
    """One row a historical record of every tracked model (or only `model`, by its model
    name) that the viewer may see today, as one UNION query filtered in each branch, newest
    first. The history of a deleted record shows to administrators only."""
    branches = []
    for tracked in tracked_models():
        name = tracked._meta.model_name
        if model and model != name:
            continue
        rows = history_model(tracked).objects.order_by()
        if not visibility.sees_everything(viewer):
            rows = rows.filter(id__in=tracked._default_manager.visible_to(viewer).values("pk"))
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
            ).values("history_id", "history_date", "history_type", "id", "model", "user_name")
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
        if record["history_type"] != "~":
            return "—"
        diff = self.diffs.get((record["model"], record["history_id"]))
        if not diff:
            return _("No field changed")
        return format_html(
            '<ul class="diff">{}</ul>',
            format_html_join(
                "",
                '<li><span class="field">{}</span> <del>{}</del> → <ins>{}</ins></li>',
                diff,
            ),
        )

    def load_details(self, *, viewer: Viewer | None) -> None:
        """Labels, links and field changes for the rows on the current page; a linked record
        the viewer may not see is named as a dash."""
        wanted = {}
        for row in self.page.object_list:
            wanted.setdefault(row.record["model"], set()).add(row.record["history_id"])
        for model in tracked_models():
            ids = wanted.get(model._meta.model_name)
            if not ids:
                continue
            self._load_model_details(model, ids, viewer)

    def _load_model_details(self, model, history_ids, viewer) -> None:
        history = history_model(model)
        name = model._meta.model_name
        object_ids = history.objects.filter(history_id__in=history_ids).values("id")
        # The version before each one on the page: walk each record's versions in order.
        previous_of = {}
        last_seen = {}
        for history_id, object_id in (
            history.objects.filter(id__in=object_ids)
            .order_by("history_date", "history_id")
            .values_list("history_id", "id")
        ):
            if history_id in history_ids:
                previous_of[history_id] = last_seen.get(object_id)
            last_seen[object_id] = history_id
        needed = set(history_ids) | {pk for pk in previous_of.values() if pk}
        versions = {v.history_id: v for v in history.objects.filter(history_id__in=needed)}
        links = m2m_links(history, needed, viewer)
        for history_id in history_ids:
            version = versions.get(history_id)
            if version is None:
                continue
            key = (name, history_id)
            self.details[key] = (record_label(version), record_url(version, name))
            before = versions.get(previous_of.get(history_id))
            if before is not None and version.history_type == "~":
                self.diffs[key] = field_changes(version, before, links)


def record_label(version) -> str:
    """A name for the record as it was, built from its own fields (no query)."""
    for field in ("title", "name"):
        value = getattr(version, field, None)
        if value:
            return value
    if version.instance_type is Citation:
        passage = version.passage
        return "“" + (passage if len(passage) <= 60 else passage[:59] + "…") + "”"
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
