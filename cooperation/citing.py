"""Citing by selecting: on a source's page an editor selects words and starts a record with
them, or adds them to a record they may edit.

The source page carries a "Cite a passage" panel for editors (`panel_context`): rows of
passages, each with its words, where they lie in the source's text (`start`, `end`, filled in
by static/js/cite.js from a selection) and its role: a citation, a quote, or a commitment made
at a new meeting. Without JavaScript the words are pasted into a row; the page stays free of
scripts for everyone else.

- "New meeting", "New commitment", … go to the admin's add page with the passages in its query
  (`admin_add_address`), where the admin fills in the new record's citations.
- "Existing record…" lists the records of a kind the editor may edit (`records_editable`) and
  cites the passages on the one they pick, in one transaction (`services.citations_add`).

Every request checks its passages again (`PassageForm`): offsets that fit the text give its
exact words (`passage_resolve`); whatever the words, the source must hold them verbatim.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django import forms
from django.apps import apps
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, Q, TextChoices
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, ngettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from cooperation import visibility
from cooperation.models import (
    CITABLE_MODELS,
    Citation,
    Person,
    Source,
    check_passage_in_source,
)
from cooperation.services import CitationInput, citations_add

MAX_PASSAGES = 20
MAX_WORDS = 2000
MAX_QUERY_LENGTH = 200
RESULTS_SHOWN = 20
# Gunicorn refuses a request line longer than 4094 bytes (its `limit_request_line`): a longer
# address would reach the next page as an error of the server's, not as the panel's.
MAX_ADDRESS_LENGTH = 4000
PREFIX = "passage"
OFFSET = re.compile(r"[0-9]{1,12}")


class Role(TextChoices):
    """What a passage is to the record it is cited for."""

    CITATION = "cite", gettext_lazy("Citation")
    QUOTE = "quote", gettext_lazy("Quote")
    COMMITMENT = "commitment", gettext_lazy("Commitment made at the meeting")


# The panel's "New …" buttons: the kinds of record the admin starts with the passages.
NEW_RECORDS = {
    "meeting": gettext_lazy("New meeting"),
    "commitment": gettext_lazy("New commitment"),
    "complaintcount": gettext_lazy("New complaint count"),
    "milestone": gettext_lazy("New milestone"),
}
EXISTING = "existing"

# The kinds "Existing record…" lists, in the order its menu shows them, and what its search
# box looks in.
SEARCHED_FIELDS = {
    "meeting": ["title"],
    "commitment": ["title"],
    "complaintcount": ["origin", "received_by__name", "received_by__short_name"],
    "milestone": ["title"],
    "partner": ["name", "short_name"],
    "person": ["name", "partner__name"],
}
assert set(SEARCHED_FIELDS) == set(CITABLE_MODELS)
RELATED = {"complaintcount": ["received_by"], "person": ["partner"]}


@dataclass(frozen=True)
class Passage:
    """One passage to cite: its words, where they lie in the source's text (when a selection
    found them there), and its role."""

    words: str
    role: str = Role.CITATION
    start: int | None = None
    end: int | None = None

    @property
    def is_quote(self) -> bool:
        return self.role == Role.QUOTE


def may_cite(user: Any) -> bool:
    """Whether the user may add citations: editors and administrators (superusers too)."""
    return bool(user and user.is_authenticated and user.has_perm("cooperation.add_citation"))


def passage_resolve(
    text: str, *, start: int | None, end: int | None, words: str
) -> tuple[str, int | None, int | None]:
    """The words a passage cites and where they lie in `text`. Offsets that fit the text and
    point at the same words, white space aside, give exactly `text[start:end]`, its outer white
    space left out; otherwise the words stand as given, with no offsets."""
    if start is not None and end is not None and 0 <= start < end <= len(text):
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        exact = text[start:end]
        if exact and exact.split() == words.split():
            return exact, start, end
    return words, None, None


class OffsetField(forms.Field):
    """Where a selection starts or ends in the source's text. Anything but a whole number is
    no offset (the words then stand on their own), never an error: the editor cannot see it."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def to_python(self, value):
        value = value.strip() if isinstance(value, str) else ""
        return int(value) if OFFSET.fullmatch(value) else None


class PassageForm(forms.Form):
    """One row of the panel. A row without words is no passage; a row with words is checked
    against the source (`passage_resolve`, then `check_passage_in_source`)."""

    start = OffsetField()
    end = OffsetField()
    words = forms.CharField(
        label=gettext_lazy("Words"),
        required=False,
        max_length=MAX_WORDS,
        widget=forms.Textarea(attrs={"rows": 3, "class": "cite-words"}),
    )
    role = forms.ChoiceField(label=gettext_lazy("Cite as"), choices=Role.choices, required=False)

    def __init__(self, *args, source: Source, **kwargs):
        super().__init__(*args, **kwargs)
        self.source = source

    def clean(self):
        data = super().clean()
        words = data.get("words")
        if not words or self.errors:
            return data
        words, start, end = passage_resolve(
            self.source.text, start=data.get("start"), end=data.get("end"), words=words
        )
        try:
            check_passage_in_source(self.source, words)
        except ValidationError as error:
            self.add_error("words", error.message_dict["passage"])
            return data
        return {
            **data,
            "words": words,
            "start": start,
            "end": end,
            "role": data["role"] or Role.CITATION,
        }


class BasePassageFormSet(forms.BaseFormSet):
    """The panel's rows: at least one passage, at most MAX_PASSAGES."""

    default_error_messages = {
        **forms.BaseFormSet.default_error_messages,
        "missing_management_form": gettext_lazy(
            "The passages could not be read. Open the source again and select them anew."
        ),
        "too_many_forms": ngettext_lazy(
            "Cite at most %(num)d passage at a time.",
            "Cite at most %(num)d passages at a time.",
            "num",
        ),
    }

    @classmethod
    def get_default_prefix(cls):
        return PREFIX

    def clean(self):
        if not any(self.errors) and not self.passages():
            raise ValidationError(
                _("Select the words to cite in the text, or paste them into the box below.")
            )

    def passages(self) -> list[Passage]:
        """The rows' passages, checked (call `is_valid` first)."""
        return [
            Passage(words=data["words"], role=data["role"], start=data["start"], end=data["end"])
            for data in (form.cleaned_data for form in self.forms)
            if data.get("words")
        ]


PassageFormSet = forms.formset_factory(
    PassageForm,
    formset=BasePassageFormSet,
    extra=0,
    min_num=1,
    max_num=MAX_PASSAGES,
    absolute_max=MAX_PASSAGES,
    validate_max=True,
)


def passage_fields(passages: Sequence[Passage]) -> list[tuple[str, str]]:
    """The passages as the panel's fields (name, value), to carry them to the next page."""
    fields = [(f"{PREFIX}-TOTAL_FORMS", str(len(passages))), (f"{PREFIX}-INITIAL_FORMS", "0")]
    for index, passage in enumerate(passages):
        for name, value in (
            ("start", passage.start),
            ("end", passage.end),
            ("words", passage.words),
            ("role", passage.role),
        ):
            fields.append((f"{PREFIX}-{index}-{name}", "" if value is None else str(value)))
    return fields


def _param(role: str, kind: str) -> str:
    if role == Role.QUOTE:
        return "cite_quote"
    if role == Role.COMMITMENT and kind == "meeting":
        return "cite_commitment"
    return "cite"  # a commitment passage for anything but a new meeting is a plain citation


def admin_add_address(*, kind: str, source: Source, passages: Sequence[Passage]) -> str:
    """The admin's page that adds a record of `kind` (one of NEW_RECORDS), told what to cite:
    `cite_source`, then each passage's words as `cite` (a citation), `cite_quote` (a quote,
    whose person the admin asks for) or `cite_commitment` (a commitment made at a new meeting;
    for another kind, a citation)."""
    params: dict[str, Any] = {"cite_source": source.pk}
    for passage in passages:
        params.setdefault(_param(passage.role, kind), []).append(passage.words)
    return f"{reverse(f'admin:cooperation_{kind}_add')}?{urlencode(params, doseq=True)}"


def existing_address(*, source: Source, passages: Sequence[Passage]) -> str:
    """The page that adds the passages to an existing record."""
    page = reverse("cooperation:source-cite-existing", args=[source.pk])
    return f"{page}?{urlencode(passage_fields(passages))}"


def _model(kind: str) -> type[Model]:
    return apps.get_model("cooperation", kind)


def kind_choices() -> list[tuple[str, str]]:
    """The kinds of record passages can be cited for, by their names."""
    return [(kind, capfirst(_model(kind)._meta.verbose_name)) for kind in SEARCHED_FIELDS]


def records_editable(*, user: Any, kind: str, query: str = "") -> Any:
    """The records of `kind` the user may edit whose title or name holds `query`, in the
    kind's own order (newest first where it has dates).

    """
    records = visibility.restrict_editable(_model(kind).objects.all(), user)
    if query:
        records = records.filter(
            reduce(or_, (Q(**{f"{name}__icontains": query}) for name in SEARCHED_FIELDS[kind]))
        )
    return records.select_related(*RELATED.get(kind, []))


def record_editable(*, user: Any, kind: str, pk: int) -> Model | None:
    """The record of this kind and id the user may edit; None when there is no such kind or
    record, or not one they may see or edit (alike, so a refusal does not tell them apart)."""
    if kind not in SEARCHED_FIELDS:
        return None
    record = visibility.restrict(_model(kind).objects.all(), user).filter(pk=pk).first()
    if record is None or not visibility.may_edit(user, record):
        return None
    return record


def citation_inputs(
    *, source: Source, passages: Sequence[Passage], person: Person | None
) -> list[CitationInput]:
    """The passages as citations of `source`; quotes are attributed to `person`."""
    return [
        CitationInput(
            source=source, passage=passage.words, quoted_person=person if passage.is_quote else None
        )
        for passage in passages
    ]


def panel_context(
    *, user: Any, source: Source, formset: BasePassageFormSet | None = None, errors=()
) -> dict[str, Any]:
    """What the source page needs for the "Cite a passage" panel: `can_cite`, and for an
    editor the panel's rows (`cite_formset`, an empty row unless given) and what went wrong
    with them (`cite_errors`)."""
    if not may_cite(user):
        return {"can_cite": False}
    errors = list(errors)
    if formset is not None:
        errors += formset.non_form_errors()
    if formset is None or not formset.forms:  # unreadable rows start afresh
        formset = PassageFormSet(form_kwargs={"source": source})
    return {
        "can_cite": True,
        "cite_formset": formset,
        "cite_errors": errors,
        "cite_new_records": NEW_RECORDS.items(),
    }


# Views


def _source_for_citing(user: Any, pk: int) -> Source:
    """The source, for an editor who may see it: a 404 for one the user may not see (alike to
    a missing one), then a 403 for a reader who may not cite."""
    source = Source.objects.visible_to(user).filter(pk=pk).first()
    if source is None:
        raise Http404(_("No such record, or not one you may see."))
    if not may_cite(user):
        raise PermissionDenied
    return source


def _source_page_again(request, source: Source, formset, errors=()) -> HttpResponse:
    """The source's page, its panel showing the passages as sent and what is wrong with them."""
    from cooperation.views import source_detail  # views imports this module for the panel

    panel = panel_context(user=request.user, source=source, formset=formset, errors=errors)
    return source_detail(request, source.pk, cite_panel=panel)


@login_required
@require_POST
def cite(request, pk: int):
    """The panel's buttons: check every passage, then go to the admin to start a record with
    them, or to the page that adds them to an existing record. Passages that do not pass give
    the source's page again, with the panel saying why."""
    source = _source_for_citing(request.user, pk)
    formset = PassageFormSet(request.POST, form_kwargs={"source": source})
    action = request.POST.get("action", "")
    errors = []
    if action not in NEW_RECORDS and action != EXISTING:
        errors.append(_("Choose what to cite the passages for."))
    if formset.is_valid() and not errors:
        passages = formset.passages()
        if action == EXISTING:
            address = existing_address(source=source, passages=passages)
        else:
            address = admin_add_address(kind=action, source=source, passages=passages)
        if len(address) <= MAX_ADDRESS_LENGTH:
            return redirect(address)
        errors.append(
            _("These passages are too long to take along at once: cite fewer or shorter ones.")
        )
    return _source_page_again(request, source, formset, errors)


class RecordSearchForm(forms.Form):
    """Which records "Existing record…" lists: a kind, and words of their title or name."""

    kind = forms.ChoiceField(label=gettext_lazy("Record type"), choices=kind_choices)
    q = forms.CharField(
        label=gettext_lazy("Title or name"), required=False, max_length=MAX_QUERY_LENGTH
    )


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.partner})"


class CiteHereForm(forms.Form):
    """A "Cite here" button: the record's kind and id, and who said the quotes among the
    passages (required when there are quotes)."""

    kind = forms.ChoiceField(choices=kind_choices, widget=forms.HiddenInput)
    record = forms.IntegerField(min_value=1, max_value=2**63 - 1, widget=forms.HiddenInput)
    person = PersonChoiceField(
        label=gettext_lazy("Quote by"),
        queryset=Person.objects.none(),
        required=False,
        help_text=gettext_lazy("Who said the passages cited as quotes."),
    )

    def __init__(self, *args, user: Any, quotes: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not quotes:  # nobody to name
            del self.fields["person"]
            return
        self.fields["person"].queryset = (
            Person.objects.visible_to(user).select_related("partner").order_by("name", "pk")
        )
        self.fields["person"].required = True


class RecordNotEditable(Exception):
    """The record to cite on is not one the user may edit (or there is none)."""


def passages_cite(
    *,
    user: Any,
    source: Source,
    passages: Sequence[Passage],
    kind: str,
    record: int,
    person: Person | None = None,
) -> tuple[Model, list[Citation]]:
    """Cite the passages of `source` on the record of this kind and id, all or none, each
    history row naming `user`; quotes are attributed to `person`. RecordNotEditable when the
    user may not edit the record, ValidationError when a citation breaks a rule: nothing is
    written either way."""
    found = record_editable(user=user, kind=kind, pk=record)
    if found is None:
        raise RecordNotEditable
    inputs = citation_inputs(source=source, passages=passages, person=person)
    return found, citations_add(record=found, citations=inputs, user=user)


def cited_message(record: Model, count: int) -> str:
    return ngettext(
        "%(count)d passage cited on “%(record)s”.",
        "%(count)d passages cited on “%(record)s”.",
        count,
    ) % {"count": count, "record": record}


def _kind_searched(search: RecordSearchForm) -> str | None:
    """The kind of record the page lists: meetings at first; none when the choice is wrong."""
    if not search.is_bound:
        return "meeting"
    return search.cleaned_data["kind"] if search.is_valid() else None


@login_required
@require_http_methods(["GET", "POST"])
def cite_existing(request, pk: int):
    """Add the passages to a record the editor may edit: a kind and a search box list the
    records (GET); "Cite here" cites the passages on one of them, all or none, and opens it in
    the admin (POST). A record the editor may not edit is refused, and nothing is written."""
    user = request.user
    source = _source_for_citing(user, pk)
    data = request.POST if request.method == "POST" else request.GET
    formset = PassageFormSet(data, form_kwargs={"source": source})
    if not formset.is_valid():
        return _source_page_again(request, source, formset)
    passages = formset.passages()
    quotes = any(passage.is_quote for passage in passages)
    search = RecordSearchForm(request.GET if "kind" in request.GET else None)
    kind = _kind_searched(search)
    choice = CiteHereForm(request.POST or None, user=user, quotes=quotes, initial={"kind": kind})

    errors: list[str] = []
    status = 200
    if choice.is_bound and choice.is_valid():
        try:
            record, cited = passages_cite(
                user=user, source=source, passages=passages, **choice.cleaned_data
            )
        except RecordNotEditable:
            errors, status = [_("That record is not one you may edit, so nothing was cited.")], 403
        except ValidationError as error:
            errors = error.messages
        else:
            messages.success(request, cited_message(record, len(cited)))
            model = record._meta.model_name
            return redirect(reverse(f"admin:cooperation_{model}_change", args=[record.pk]))
    elif choice.is_bound:
        errors = [error for name in ("kind", "record") for error in choice.errors.get(name, [])]

    found = []
    if kind:
        query = search.cleaned_data.get("q", "") if search.is_bound else ""
        found = list(records_editable(user=user, kind=kind, query=query)[: RESULTS_SHOWN + 1])
    context = {
        "source": source,
        "passages": passages,
        "passage_fields": passage_fields(passages),
        "search": search,
        "choice": choice,
        "kind": kind,
        "records": found[:RESULTS_SHOWN],
        "more": len(found) > RESULTS_SHOWN,
        "errors": errors,
        "quotes": quotes,
    }
    return render(request, "cooperation/cite_existing.html", context, status=status)
