"""A refused passage names its source, says what differs, and offers the source's words."""

import pytest
from django import forms
from django.contrib import admin
from django.contrib.contenttypes.forms import generic_inlineformset_factory
from django.core.exceptions import ValidationError
from django.forms import inlineformset_factory
from django.test import RequestFactory
from django.urls import reverse

from cooperation import models
from cooperation.admin import CitationInline
from cooperation.admin_passages import (
    CitationForm,
    CommitmentUpdateForm,
    PassageFormMixin,
    PassageTextarea,
    use_button_name,
)
from cooperation.passages import (
    CAPITALS,
    DASH,
    ELLIPSIS,
    OTHER_WORDS,
    PARAGRAPH_NUMBER,
    QUOTES,
    SPACES,
    closest_passage,
)
from tests import factories
from tests.helpers import CITATIONS, management

ARTICLE = (
    "Cambodia and France are in talks to establish a formal initiative for security "
    "cooperation with the goal of combating human trafficking as its priority amid an upsurge "
    "in the crime.\n"
    "Minister of Interior Sar Kheng met with French ambassador to Cambodia Jacques Pellet on "
    "November 1 to discuss the issue.\n"
    "The main topics of the meeting included the initiative establishing a formal mechanism of "
    "security cooperation and Cambodia’s efforts to crack down on human trafficking, especially "
    "its recent operations in Preah Sihanouk province.\n"
    "“This cooperation will continue to progress steadily, especially the areas within the "
    "purview of our interior ministry including international security cooperation,” he said.\n"
    "To accelerate the initiative, Sar Kheng instructed his officials to begin talks to set the "
    "priorities for the work and the drafting of an effective cooperative framework.\n"
    "From August 18 through September 18 – a single month – the ministry received a total of "
    "289 complaints.\n"
    "“At first, we did not completely believe the information provided in these complaints, "
    "but after going through the actual process of investigation, we have unfortunately "
    "discovered that the complaints are about 95 per cent true,” he added."
)
MEETING = (
    "Minister of Interior Sar Kheng met with French ambassador to Cambodia Jacques Pellet on "
    "November 1 to discuss the issue."
)
EFFORTS = "Cambodia’s efforts to crack down on human trafficking"


def assert_exact_slice(text: str, closest) -> None:
    assert closest is not None
    assert closest.words == text[closest.start : closest.end]


# Reading both texts alike


def test_straight_quotes_find_the_sources_curly_ones():
    closest = closest_passage(ARTICLE, "Cambodia's efforts to crack down on human trafficking")
    assert_exact_slice(ARTICLE, closest)
    assert closest.words == EFFORTS
    assert closest.reasons == (QUOTES,)


def test_curly_quotes_find_the_sources_straight_ones():
    text = 'He called it "a turning point" for the region.'
    closest = closest_passage(text, "He called it “a turning point” for the region.")
    assert_exact_slice(text, closest)
    assert closest.words == text
    assert closest.reasons == (QUOTES,)


@pytest.mark.parametrize("number", ["2 ", "2. ", "2) ", "¶2 ", "¶ 2 ", "[2] ", "(2) "])
def test_a_copied_paragraph_number_is_left_out(number):
    closest = closest_passage(ARTICLE, number + MEETING)
    assert_exact_slice(ARTICLE, closest)
    assert closest.words == MEETING
    assert closest.reasons == (PARAGRAPH_NUMBER,)


def test_a_number_the_source_has_is_kept():
    text = "Notes.\n2 Minister of Interior Sar Kheng met with the “French” ambassador."
    closest = closest_passage(text, '2 Minister of Interior Sar Kheng met with the "French"')
    assert_exact_slice(text, closest)
    assert closest.words == "2 Minister of Interior Sar Kheng met with the “French”"
    assert closest.reasons == (QUOTES,)


def test_doubled_spaces_and_line_breaks_find_the_sources_spacing():
    closest = closest_passage(ARTICLE, "the  ministry received a total of\n\n289   complaints")
    assert_exact_slice(ARTICLE, closest)
    assert closest.words == "the ministry received a total of 289 complaints"
    assert closest.reasons == (SPACES,)


def test_non_breaking_spaces_find_the_sources_spacing():
    closest = closest_passage(ARTICLE, "Preah\u00a0Sihanouk\u00a0province")
    assert_exact_slice(ARTICLE, closest)
    assert closest.words == "Preah Sihanouk province"


@pytest.mark.parametrize(
    ("typed", "reasons"),
    [
        ("September 18 - a single month - the ministry", (DASH,)),
        ("September 18 — a single month — the ministry", (DASH,)),
        ("September 18-a single month-the ministry", (DASH, SPACES)),
        ("September 18 -- a single month -- the ministry", (DASH,)),
    ],
)
def test_other_dashes_find_the_sources_dashes(typed, reasons):
    closest = closest_passage(ARTICLE, typed)
    assert_exact_slice(ARTICLE, closest)
    assert closest.words == "September 18 – a single month – the ministry"
    assert closest.reasons == reasons


def test_ellipses_and_quotation_marks_around_the_words_are_left_out():
    closest = closest_passage(ARTICLE, "“…the ministry received a total of 289 complaints…”")
    assert_exact_slice(ARTICLE, closest)
    assert closest.words == "the ministry received a total of 289 complaints"
    assert set(closest.reasons) == {ELLIPSIS, QUOTES}


def test_a_quote_copied_with_straight_marks_finds_the_whole_quote():
    typed = (
        '"This cooperation will continue to progress steadily, especially the areas within the '
        'purview of our interior ministry including international security cooperation," he said.'
    )
    closest = closest_passage(ARTICLE, typed)
    assert_exact_slice(ARTICLE, closest)
    assert closest.words.startswith("“This cooperation")
    assert closest.words.endswith("cooperation,” he said.")
    assert closest.reasons == (QUOTES,)


def test_letter_case_finds_the_sources_capitals():
    closest = closest_passage(ARTICLE, "minister of interior sar kheng met with french ambassador")
    assert_exact_slice(ARTICLE, closest)
    assert closest.words == "Minister of Interior Sar Kheng met with French ambassador"
    assert closest.reasons == (CAPITALS,)


# The most similar stretch, when reading alike finds nothing


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        (
            "Minister of Interior Sar Kheng met French ambassador to Cambodia Jacques Pellet on "
            "November 2 to discuss the issue.",
            MEETING,
        ),
        (
            "The complaints are about 95 percent true, he added.",
            "the complaints are about 95 per cent true,” he added.",
        ),
        (
            "Sar Kheng instructed his officials to begin talks on setting the priorities for the "
            "work",
            "Sar Kheng instructed his officials to begin talks to set the priorities for the work",
        ),
    ],
)
def test_a_passage_with_a_few_words_changed_finds_the_sources(typed, meant):
    closest = closest_passage(ARTICLE, typed)
    assert_exact_slice(ARTICLE, closest)
    assert closest.words == meant
    assert OTHER_WORDS in closest.reasons


@pytest.mark.parametrize(
    "invented",
    [
        "Sar Kheng met the German ambassador in Phnom Penh to discuss trade and investment.",
        "The Minister of Interior met the French ambassador to discuss human trafficking.",
        "Cambodia and France signed a formal agreement on security cooperation.",
        "He noted that the most relevant problems are transnational crime and trafficking.",
        "Pellet said the Cambodian authorities have been making progress on human trafficking.",
        "An entirely different sentence about the weather in the north.",
    ],
)
def test_an_invented_sentence_has_no_closest_passage(invented):
    assert closest_passage(ARTICLE, invented) is None


def test_a_short_passage_is_not_guessed():
    assert closest_passage(ARTICLE, "Sar Keng") is None


def long_text(target: str) -> tuple[str, int]:
    """About 100 KB of numbered minutes much like one another, `target` in the middle."""
    lines = [
        f"Item {n}: the committee reviewed case {n * 7} and noted progress on file {n % 13}."
        for n in range(1400)
    ]
    lines.insert(700, target)
    text = "\n".join(lines)
    return text, text.index(target)


def test_a_near_match_in_the_middle_of_a_long_text_is_found():
    target = "The Minister’s “landmark” decision — taken on 3 March 2023 — was welcomed by all."
    text, at = long_text(target)
    assert len(text) > 100_000
    closest = closest_passage(
        text, "The Minister's landmark decision, taken on 3 March 2023, was welcomed by all."
    )
    assert_exact_slice(text, closest)
    assert (closest.start, closest.end) == (at, at + len(target))
    assert OTHER_WORDS in closest.reasons


def test_normalised_words_in_the_middle_of_a_long_text_are_found():
    target = "The Minister’s “landmark” decision — taken on 3 March 2023 — was welcomed by all."
    text, at = long_text(target)
    closest = closest_passage(
        text, '7. The Minister\'s "landmark" decision - taken on 3 March 2023 - was welcomed'
    )
    assert_exact_slice(text, closest)
    assert closest.start == at
    assert set(closest.reasons) == {PARAGRAPH_NUMBER, QUOTES, DASH}


def test_an_invented_sentence_in_a_long_text_has_no_closest_passage():
    text, _ = long_text("The Minister’s decision was welcomed by all.")
    assert closest_passage(text, "Nobody in the delegation expected the vote to pass.") is None


# The difference, marked


def test_the_difference_marks_what_only_each_side_has():
    closest = closest_passage(ARTICLE, "2 Cambodia's efforts to crack down on human trafficking")
    html = str(closest.diff_html())
    assert html.startswith("<del>2 </del>Cambodia<del>&#x27;</del><ins>’</ins>s efforts")
    assert html.endswith("human trafficking")


def test_the_difference_is_escaped():
    text = "The page showed “<script>alert(1)</script>” & nothing else."
    closest = closest_passage(text, 'The page showed "<script>alert(1)</script>" & nothing else.')
    assert_exact_slice(text, closest)
    html = str(closest.diff_html())
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&amp; nothing else." in html


# The refusal


def source(title="Phnom Penh Post, 2 November 2022", text=ARTICLE) -> models.Source:
    return models.Source(title=title, reference="article.txt", text=text)


def refusal(text_source: models.Source, passage: str) -> str:
    with pytest.raises(ValidationError) as refused:
        models.check_passage_in_source(text_source, passage)
    return refused.value.message_dict["passage"][0]


def test_a_refusal_names_the_source_and_what_differs():
    message = refusal(source(), "Cambodia's efforts to crack down on human trafficking")
    assert message == (
        "Passage: these words are not verbatim in “Phnom Penh Post, 2 November 2022”: the "
        f"quotation marks differ. The source has: “{EFFORTS}”"
    )


def test_a_refusal_lists_every_difference():
    message = refusal(source(), "[2] minister of interior Sar Kheng met with French ambassador")
    assert message.startswith("Passage: these words are not verbatim in “Phnom Penh Post")
    assert "a paragraph number was copied along and the capital letters differ." in message
    assert message.endswith(
        "The source has: “Minister of Interior Sar Kheng met with French ambassador”"
    )


def test_an_invented_passage_is_refused_without_a_suggestion():
    message = refusal(source(), "Cambodia and France signed a formal agreement on security.")
    assert message == (
        "Passage: these words do not appear verbatim in “Phnom Penh Post, 2 November 2022”."
    )


def test_a_normalised_match_is_still_refused():
    with pytest.raises(ValidationError):
        models.check_passage_in_source(source(), "2 " + MEETING)


def test_spacing_alone_is_still_accepted_as_before():
    models.check_passage_in_source(source(), "the  ministry received a total of\n289 complaints")


# The forms: the source's words under the box, and the button that takes them

UPDATES = "updates"
STRAIGHT = "Cambodia's efforts to crack down on human trafficking"


@pytest.fixture
def article(db):
    return factories.SourceFactory(title="Phnom Penh Post, 2 November 2022", text=ARTICLE)


CitationFormSet = generic_inlineformset_factory(models.Citation, form=CitationForm, extra=1)


def citation_formset(meeting, data: dict):
    return CitationFormSet({**management(CITATIONS, 2), **data}, instance=meeting)


def test_a_refused_citation_shows_the_sources_words_and_the_button(article):
    meeting = factories.MeetingFactory()
    formset = citation_formset(
        meeting,
        {
            f"{CITATIONS}-0-source": article.pk,
            f"{CITATIONS}-0-passage": MEETING,
            f"{CITATIONS}-1-source": article.pk,
            f"{CITATIONS}-1-passage": STRAIGHT,
        },
    )
    assert not formset.is_valid()
    assert formset.forms[0].is_valid()
    assert formset.forms[1].errors["passage"] == [
        "Passage: these words are not verbatim in “Phnom Penh Post, 2 November 2022”: the "
        f"quotation marks differ. The source has: “{EFFORTS}”"
    ]
    box = str(formset.forms[1]["passage"])
    assert f'name="{CITATIONS}-1-passage-use" value="{EFFORTS}"' in box
    assert "Use the source’s words" in box
    assert "<del>&#x27;</del><ins>’</ins>" in box
    assert f'aria-describedby="id_{CITATIONS}-1-passage_closest"' in box
    assert "style=" not in box and "<script" not in box
    assert "Use the source’s words" not in str(formset.forms[0]["passage"])


def test_the_button_takes_the_sources_words_and_the_citation_saves(article):
    meeting = factories.MeetingFactory()
    formset = citation_formset(
        meeting,
        {
            f"{CITATIONS}-0-source": article.pk,
            f"{CITATIONS}-0-passage": MEETING,
            f"{CITATIONS}-1-source": article.pk,
            f"{CITATIONS}-1-passage": STRAIGHT,
            use_button_name(f"{CITATIONS}-1-passage"): EFFORTS,
        },
    )
    assert formset.is_valid(), formset.errors
    formset.save()
    assert sorted(meeting.citations.values_list("passage", flat=True)) == sorted([EFFORTS, MEETING])


def test_the_button_keeps_the_sources_line_breaks(article):
    words = "in the crime.\nMinister of Interior Sar Kheng"
    form = CitationForm(
        {
            "source": article.pk,
            "passage": "in the crime. minister",
            "passage-use": words.replace("\n", "\r\n"),
        }
    )
    form.is_valid()
    assert form.cleaned_data["passage"] == words


def test_a_tampered_button_value_is_refused_like_any_passage(article):
    meeting = factories.MeetingFactory()
    formset = citation_formset(
        meeting,
        {
            f"{CITATIONS}-0-source": article.pk,
            f"{CITATIONS}-0-passage": STRAIGHT,
            use_button_name(f"{CITATIONS}-0-passage"): "Cambodia’s efforts to end trafficking",
        },
    )
    assert not formset.is_valid()
    assert (
        formset.forms[0]
        .errors["passage"][0]
        .startswith("Passage: these words do not appear verbatim in “Phnom Penh Post")
    )
    assert not models.Citation.objects.exists()


def test_an_invented_passage_shows_no_button(article):
    form = CitationForm({"source": article.pk, "passage": "An agreement was signed in Paris."})
    assert not form.is_valid()
    assert "do not appear verbatim" in form.errors["passage"][0]
    assert "passage-use" not in str(form["passage"])


def test_the_suggestion_is_escaped(db):
    hostile = factories.SourceFactory(
        title="<b>Title</b>", text="The page showed “<script>alert(1)</script>” to visitors."
    )
    form = CitationForm(
        {"source": hostile.pk, "passage": 'The page showed "<script>alert(1)</script>"'}
    )
    assert not form.is_valid()
    box = str(form["passage"])
    assert "<script>" not in box
    assert 'value="The page showed “&lt;script&gt;alert(1)&lt;/script&gt;”"' in box


UpdateFormSet = inlineformset_factory(
    models.Commitment, models.CommitmentUpdate, form=CommitmentUpdateForm, extra=1
)


def test_a_commitment_update_takes_the_sources_words_in_its_formset(article):
    commitment = factories.CommitmentFactory()
    row = {
        f"{UPDATES}-0-date": "2022-11-01",
        f"{UPDATES}-0-date_precision": "day",
        f"{UPDATES}-0-date_inferred": "",
        f"{UPDATES}-0-status": "announced",
        f"{UPDATES}-0-note": "",
        f"{UPDATES}-0-source": article.pk,
        f"{UPDATES}-0-passage": "2. " + MEETING,
    }
    refused = UpdateFormSet({**management(UPDATES, 1), **row}, instance=commitment)
    assert not refused.is_valid()
    assert "a paragraph number was copied along" in refused.forms[0].errors["passage"][0]
    assert f'name="{UPDATES}-0-passage-use"' in str(refused.forms[0]["passage"])

    taken = UpdateFormSet(
        {**management(UPDATES, 1), **row, f"{UPDATES}-0-passage-use": MEETING}, instance=commitment
    )
    assert taken.is_valid(), taken.errors
    taken.save()
    assert commitment.updates.get().passage == MEETING


class CiteForm(PassageFormMixin, forms.Form):
    """A passage to cite typed beside a record's own fields: the model does not check it."""

    passage_fields = [("cite_source", "cite_passage")]
    cite_source = forms.ModelChoiceField(queryset=models.Source.objects.all())
    cite_passage = forms.CharField()


def test_a_passage_outside_the_model_is_refused_and_offered_by_the_form(article):
    data = {"form-cite_source": article.pk, "form-cite_passage": STRAIGHT}
    form = CiteForm(data, prefix="form")
    assert not form.is_valid()
    assert form.errors["cite_passage"] == [
        "Passage: these words are not verbatim in “Phnom Penh Post, 2 November 2022”: the "
        f"quotation marks differ. The source has: “{EFFORTS}”"
    ]
    assert isinstance(form.fields["cite_passage"].widget, PassageTextarea)
    assert 'name="form-cite_passage-use"' in str(form["cite_passage"])

    taken = CiteForm({**data, "form-cite_passage-use": EFFORTS}, prefix="form")
    assert taken.is_valid(), taken.errors
    assert taken.cleaned_data["cite_passage"] == EFFORTS


# In the admin


@pytest.fixture
def superuser(db):
    return factories.UserFactory(username="passage-admin", is_staff=True, is_superuser=True)


def test_the_admins_citation_inline_offers_the_sources_words(article, superuser):
    partner = factories.PartnerFactory()
    request = RequestFactory().post("/")
    request.user = superuser
    inline = CitationInline(models.Partner, admin.site)
    FormSet = inline.get_formset(request, partner, form=CitationForm)
    prefix = FormSet.get_default_prefix()
    data = {
        **management(prefix, 1),
        f"{prefix}-0-source": article.pk,
        f"{prefix}-0-passage": STRAIGHT,
    }
    refused = FormSet(data, instance=partner, prefix=prefix)
    assert not refused.is_valid()
    box = str(refused.forms[0]["passage"])
    assert f'name="{prefix}-0-passage-use" value="{EFFORTS}"' in box
    assert "vLargeTextField" in box  # the admin's own box, kept

    taken = FormSet({**data, f"{prefix}-0-passage-use": EFFORTS}, instance=partner, prefix=prefix)
    assert taken.is_valid(), taken.errors


@pytest.mark.skipif(
    not issubclass(CitationInline.form, PassageFormMixin),
    reason="CitationInline.form is not yet admin_passages.CitationForm",
)
def test_one_click_in_the_admin_saves_the_sources_words(client, article, superuser):
    client.force_login(superuser)
    partner = factories.PartnerFactory()
    url = reverse("admin:cooperation_partner_change", args=[partner.pk])
    data = {
        "name": partner.name,
        "short_name": "",
        "slug": partner.slug,
        "kind": partner.kind,
        "country": "KH",
        "description": "",
        "visibility": "public",
        "language": partner.language,
        **management(CITATIONS, 1),
        f"{CITATIONS}-0-source": article.pk,
        f"{CITATIONS}-0-passage": STRAIGHT,
    }
    refused = client.post(url, data)
    assert refused.status_code == 200
    assert f'name="{CITATIONS}-0-passage-use"' in refused.content.decode()
    assert not models.Citation.objects.exists()

    taken = client.post(url, {**data, f"{CITATIONS}-0-passage-use": EFFORTS})
    assert taken.status_code == 302, taken.context["adminform"].form.errors
    assert models.Citation.objects.get().passage == EFFORTS
