"""Admin forms that offer the source's words when a passage is refused.

A refused passage is shown with the source's closest words right under its box, the
differences marked, and a button "Use the source’s words". The button submits the form with
those words as the passage (its name is the box's name plus `-use`, its value the words); they
are checked again like any passage, so a changed value is refused, and the form saves when
nothing else is wrong. The box is a widget (`PassageTextarea`), so it works in stacked and
tabular inlines and under any formset prefix without templates or scripts.

Set `form = CitationForm` on a citation inline and `form = CommitmentUpdateForm` on a
commitment-update inline; other forms take `PassageFormMixin` and name their pairs of fields
in `passage_fields`.
"""

from django import forms
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from cooperation import passages
from cooperation.models import Citation, CommitmentUpdate

USE_SUFFIX = "-use"


def use_button_name(passage_name: str) -> str:
    """The name of the button that puts the source's words in the passage box `passage_name`."""
    return f"{passage_name}{USE_SUFFIX}"


class PassageTextarea(forms.Textarea):
    """A passage box that, once given the source's closest words (`closest`), shows them under
    the box with the differences marked, and a button that submits the form with them."""

    closest: passages.Closest | None = None

    def value_from_datadict(self, data, files, name):
        chosen = data.get(use_button_name(name))
        if chosen:
            # Browsers send line breaks as CR LF; the source's words have their own.
            return chosen.replace("\r\n", "\n")
        return super().value_from_datadict(data, files, name)

    def value_omitted_from_data(self, data, files, name):
        return use_button_name(name) not in data and super().value_omitted_from_data(
            data, files, name
        )

    def render(self, name, value, attrs=None, renderer=None):
        closest = self.closest
        attrs = dict(attrs or {})
        box_id = attrs.get("id") or self.attrs.get("id")
        suggestion_id = f"{box_id}_closest" if box_id else ""
        if closest is not None and suggestion_id:
            attrs["aria-describedby"] = suggestion_id
        box = super().render(name, value, attrs, renderer)
        if closest is None:
            return box
        return format_html(
            '<div class="passage-box">{box}<div class="passage-closest"{id}>'
            '<p class="passage-closest-label">{label}</p>'
            '<p class="passage-closest-words">{diff}</p>'
            '<button type="submit" class="button passage-use" name="{name}" value="{words}">'
            "{button}</button></div></div>",
            box=box,
            id=format_html(' id="{}"', suggestion_id) if suggestion_id else "",
            label=_(
                "The source’s closest words: what only you wrote is struck through, what only "
                "the source has is underlined."
            ),
            diff=closest.diff_html(),
            name=use_button_name(name),
            words=closest.words,
            button=_("Use the source’s words"),
        )


class PassageFormMixin:
    """For a form with a source and a passage: a refused passage shows the source's closest
    words under its box, with a button to take them (`PassageTextarea`).

    `passage_fields` names each (source field, passage field) pair. A passage the form's model
    stores is refused by the model's own check (`check_passage_in_source`, in its `clean`);
    one it does not store, such as a passage to cite typed beside the record's own fields, is
    refused here, with the same words.
    """

    passage_fields: list[tuple[str, str]] = [("source", "passage")]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for _source, passage in self.passage_fields:
            field = self.fields.get(passage)
            if field is not None and not isinstance(field.widget, PassageTextarea):
                widget = PassageTextarea(attrs=field.widget.attrs)
                widget.is_required = field.widget.is_required
                field.widget = widget

    def clean(self):
        cleaned_data = super().clean()
        for source_field, passage_field in self.passage_fields:
            self._offer_source_words(source_field, passage_field)
        return cleaned_data

    def _offer_source_words(self, source_field: str, passage_field: str) -> None:
        source = self.cleaned_data.get(source_field)
        passage = self.cleaned_data.get(passage_field)
        text = getattr(source, "text", None)
        if not text or not passage or passages.is_verbatim(text, passage):
            return
        closest = passages.closest_passage(text, passage)
        widget = self.fields[passage_field].widget
        if isinstance(widget, PassageTextarea):
            widget.closest = closest
        if not self._model_checks(passage_field):
            self.add_error(passage_field, passages.refusal_message(source.title, closest))

    def _model_checks(self, passage_field: str) -> bool:
        """Whether the form's model stores this passage, and so checks it in its `clean`."""
        model = getattr(getattr(self, "_meta", None), "model", None)
        return model is not None and passage_field in {
            field.name for field in model._meta.concrete_fields
        }


class CitationForm(PassageFormMixin, forms.ModelForm):
    """A citation in the admin: its source, its passage and who said it."""

    class Meta:
        model = Citation
        fields = ["source", "passage", "quoted_person"]


class CommitmentUpdateForm(PassageFormMixin, forms.ModelForm):
    """A dated entry of a commitment's history in the admin, with the passage it rests on."""

    class Meta:
        model = CommitmentUpdate
        fields = [
            "date",
            "date_precision",
            "date_inferred",
            "status",
            "note",
            "source",
            "passage",
        ]
