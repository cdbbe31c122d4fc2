"""Recording a record in the admin in one go, as the editor works from a source.

- `CommitmentAtMeetingForm`: a commitment made at a meeting, complete from the meeting's own
  form: description, parties, target date, the status it starts at and the passage it rests
  on. Left undated, it takes the meeting's date: it was made there.
- `CiteFromSourceMixin`: a new record begun from passages chosen on a source's page
  (`cooperation.citing`) opens with those passages cited, the commitment passages as
  commitments made at the meeting, and the people, partners and topics they name suggested.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from cooperation import models, suggestions
from cooperation.admin_passages import PassageFormMixin
from cooperation.services import CitationInput

# The query parameters a "Cite for…" choice on a source's page opens an add page with.
CITE_SOURCE, CITE, CITE_QUOTE, CITE_COMMITMENT = (
    "cite_source",
    "cite",
    "cite_quote",
    "cite_commitment",
)
MAX_PREFILLED = 20


def source_choice(*, required: bool = False) -> forms.ModelChoiceField:
    """A choice of source with the admin's searchable box, as on a citation row."""
    return forms.ModelChoiceField(
        label=capfirst(_("source")),
        queryset=models.Source.objects.none(),
        required=required,
        widget=AutocompleteSelect(models.Citation._meta.get_field("source"), admin.site),
    )


class CommitmentAtMeetingForm(PassageFormMixin, forms.ModelForm):
    """A commitment row of the meeting form, with its first status and its citation; a
    passage not verbatim in its source is refused with the source's closest words offered."""

    passage_fields = [("cite_source", "cite_passage")]

    first_status = forms.ChoiceField(
        label=capfirst(_("status")),
        choices=models.CommitmentStatus.choices,
        initial=models.CommitmentStatus.ANNOUNCED,
        required=False,
        help_text=_(
            "Where it stands as the passage below reports it. Later changes are added on the "
            "commitment's own page, as its history."
        ),
    )
    cite_source = source_choice()
    cite_passage = forms.CharField(
        label=capfirst(_("passage")),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The source's words the commitment rests on, verbatim."),
    )

    class Meta:
        model = models.Commitment
        fields = ["title", "kind", "description", "made_by", "made_to", "target_date"]

    def __init__(self, *args, meeting=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.meeting = meeting
        self.is_new = self.instance._state.adding
        if not self.is_new:
            # A commitment already recorded changes its status through its own history.
            status = self.fields["first_status"]
            status.disabled = True
            status.initial = self.instance.status
            status.help_text = _("Changed by adding to the commitment's history, on its page.")
        if "date" in self.fields:
            self.fields["date"].help_text = _("Left empty, the meeting's date.")

    def clean(self):
        cleaned = super().clean()
        meeting = self.meeting
        if (
            meeting is not None
            and cleaned.get("date") is None
            and cleaned.get("date_precision") == models.DatePrecision.DAY
        ):
            cleaned["date"] = meeting.date
            cleaned["date_precision"] = meeting.date_precision
            cleaned["date_inferred"] = meeting.date_inferred
        source, passage = cleaned.get("cite_source"), (cleaned.get("cite_passage") or "").strip()
        if passage and source is None:
            self.add_error("cite_source", _("Source: choose the source these words are from."))
        elif source is not None and not passage:
            self.add_error("cite_passage", _("Passage: give the source's words."))
        status = cleaned.get("first_status")
        if self.is_new and status and status != models.CommitmentStatus.ANNOUNCED and not passage:
            self.add_error(
                "first_status",
                _("Status: a status other than Announced needs the passage that reports it."),
            )
        return cleaned

    def citations_to_add(self) -> list[CitationInput]:
        """The citation this row asks for, to save with the commitment."""
        source, passage = (
            self.cleaned_data.get("cite_source"),
            self.cleaned_data.get("cite_passage"),
        )
        if source is None or not passage:
            return []
        return [CitationInput(source=source, passage=passage.strip())]

    def first_update(self) -> dict | None:
        """The history entry that sets the status this row starts at, when not Announced."""
        status = self.cleaned_data.get("first_status")
        if not self.is_new or status in (None, "", models.CommitmentStatus.ANNOUNCED):
            return None
        commitment = self.instance
        return {
            "status": status,
            "date": commitment.date,
            "date_precision": commitment.date_precision,
            "date_inferred": commitment.date_inferred,
            "source": self.cleaned_data["cite_source"],
            "passage": self.cleaned_data["cite_passage"].strip(),
        }


class CommitmentAtMeetingFormSet(BaseInlineFormSet):
    """The commitment rows of a meeting form, each told the meeting as the form has it (an
    inline row otherwise knows only the meeting's id, which a new meeting has not yet)."""

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "meeting": self.instance}


def restrict_sources(formset, user) -> None:
    """The row form's source choices narrowed to the sources the user may see."""
    field = formset.form.base_fields.get("cite_source")
    if field is not None:
        formset.form.base_fields["cite_source"] = type(field)(
            label=field.label,
            queryset=models.Source.objects.visible_to(user),
            required=False,
            widget=field.widget,
        )


def cited_passages(request) -> tuple[models.Source | None, dict[str, list[str]]]:
    """The source and passages an add page was opened with from a source's page, each
    passage checked against the source again (a link can be edited by hand): only those
    verbatim in a source the user may see are kept."""
    if request.method != "GET":
        return None, {}
    try:
        source = models.Source.objects.visible_to(request.user).get(
            pk=int(request.GET[CITE_SOURCE])
        )
    except (KeyError, ValueError, OverflowError, models.Source.DoesNotExist):
        return None, {}
    kept = {}
    for role in (CITE, CITE_QUOTE, CITE_COMMITMENT):
        for passage in request.GET.getlist(role)[:MAX_PREFILLED]:
            passage = passage.strip()
            try:
                models.check_passage_in_source(source, passage)
            except ValidationError:
                continue
            if passage:
                kept.setdefault(role, []).append(passage)
    return source, kept


def commitment_row(*, source: models.Source, passage: str, user, known=()) -> dict:
    """A commitment row begun from its passage: cited, and suggested as made by the
    organisation of the person it names first (else the first organisation it names) to the
    other organisations it names or whose people it names (`known`: the people the other
    passages name in full, whom this one may call by surname)."""
    named = suggestions.named_in([passage], user=user, known=known)
    row = {"cite_source": source.pk, "cite_passage": passage}
    if named.partners:
        row["made_by"] = named.partners[0].pk
        row["made_to"] = [partner.pk for partner in named.partners[1:]]
    return row


class CiteFromSourceMixin:
    """A ModelAdmin whose add page opens with the passages chosen on a source's page."""

    def _prefill(self, request):
        if not hasattr(request, "_concord_cited"):
            request._concord_cited = cited_passages(request)
        return request._concord_cited

    def _prefilled_rows(self, request, inline) -> list[dict]:
        # Asked for by the inline instances and again by their formsets: worked out once.
        cache = request.__dict__.setdefault("_concord_prefilled_rows", {})
        if inline.model not in cache:
            cache[inline.model] = self._rows_for(request, inline)
        return cache[inline.model]

    def _rows_for(self, request, inline) -> list[dict]:
        source, passages = self._prefill(request)
        if source is None:
            return []
        if inline.model is models.Citation:
            roles = [CITE, CITE_QUOTE]
            if self.model is not models.Meeting:
                roles.append(CITE_COMMITMENT)
            return [
                {"source": source.pk, "passage": passage}
                for role in roles
                for passage in passages.get(role, [])
            ]
        if inline.model is models.Commitment and self.model is models.Meeting:
            known = suggestions.named_in(passages.get(CITE, []), user=request.user).people
            return [
                commitment_row(source=source, passage=passage, user=request.user, known=known)
                for passage in passages.get(CITE_COMMITMENT, [])
            ]
        return []

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        adding = obj is None or obj._state.adding  # the add view passes its unsaved record
        rows = self._prefilled_rows(request, inline) if adding else []
        if rows:
            kwargs["initial"] = rows
        return kwargs

    def get_inline_instances(self, request, obj=None):
        inlines = super().get_inline_instances(request, obj)
        if obj is None:
            for inline in inlines:
                rows = self._prefilled_rows(request, inline)
                if rows:
                    inline.extra = len(rows)
        return inlines

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        for name in (CITE_SOURCE, CITE, CITE_QUOTE, CITE_COMMITMENT):
            initial.pop(name, None)
        source, passages = self._prefill(request)
        if source is None:
            return initial
        # A quote is someone's words: what it names is what they spoke of, not who was there.
        described = [*passages.get(CITE, []), *passages.get(CITE_COMMITMENT, [])]
        named = suggestions.named_in(described, user=request.user)
        fields = {field.name for field in self.model._meta.get_fields()}
        offered = {
            "partners": named.partners,
            "participants": named.people,
            "topics": named.topics,
        }
        for name, records in offered.items():
            if name in fields and records and name not in initial:
                initial[name] = [record.pk for record in records]
        return initial
