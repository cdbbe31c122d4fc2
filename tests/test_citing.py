"""Citing by selecting (cooperation/citing.py): the "Cite a passage" panel on a source's page,
for editors only; its "New …" buttons hand the passages to the admin's add pages by a fixed
contract; "Existing record…" cites them on a record the editor may edit. Offsets give exact
slices of the text, every passage is checked against the source, hostile input gets an answer,
never a 500."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from cooperation import citing, visibility
from cooperation.models import Citation, Meeting, Partner, Visibility
from cooperation.roles import EDITOR
from tests import factories

pytestmark = pytest.mark.django_db

TEXT = (
    "Joint statement of the ministry.\n\n"
    "The ministry and IOM agreed to open  a hotline\nby March. "
    "“We will protect every victim,” said the minister.\n"
    "The ministry will train 200 officers this year. 🙂 Done."
)
SENTENCE = "The ministry and IOM agreed to open  a hotline\nby March."
QUOTE = "“We will protect every victim,”"
PLEDGE = "The ministry will train 200 officers this year."


@pytest.fixture
def source(db):
    return factories.SourceFactory(title="Joint statement", text=TEXT)


@pytest.fixture
def editor(db):
    """A client signed in as an Editor on the staff of the records' owners."""
    client = Client()
    client.force_login(factories.user_with_role("editor", EDITOR))
    return client


@pytest.fixture
def anonymous():
    return Client()


@pytest.fixture
def reader(viewer):
    """A client signed in as a Viewer of the same organisations as the editor."""
    client = Client()
    client.force_login(viewer)
    return client


def cite_url(source) -> str:
    return reverse("cooperation:source-cite", args=[source.pk])


def existing_url(source) -> str:
    return reverse("cooperation:source-cite-existing", args=[source.pk])


def offsets(words: str) -> tuple[int, int]:
    start = TEXT.index(words)
    return start, start + len(words)


def rows(*passages, total=None) -> dict:
    """The panel's fields for these passages: (words, role) or (words, role, start, end)."""
    data = {"passage-TOTAL_FORMS": str(len(passages) if total is None else total)}
    data["passage-INITIAL_FORMS"] = "0"
    for index, passage in enumerate(passages):
        words, role, *where = passage
        start, end = where or ("", "")
        data |= {
            f"passage-{index}-words": words,
            f"passage-{index}-role": role,
            f"passage-{index}-start": str(start),
            f"passage-{index}-end": str(end),
        }
    return data


def query_of(address: str) -> tuple[str, dict]:
    parts = urlsplit(address)
    return parts.path, parse_qs(parts.query, keep_blank_values=True)


# Who sees the panel


def test_visitors_and_readers_see_no_panel_and_no_script(anonymous, reader, source):
    for visitor in (anonymous, reader):
        html = visitor.get(source.get_absolute_url()).content.decode()
        assert "Joint statement of the ministry." in html
        assert "Cite a passage" not in html
        assert cite_url(source) not in html
        assert "<script" not in html.lower()


def test_an_editor_sees_the_panel_and_its_script(editor, source):
    html = editor.get(source.get_absolute_url()).content.decode()
    assert 'id="cite-panel"' in html
    assert f'action="{cite_url(source)}"' in html
    form = html.split(f'action="{cite_url(source)}"')[1].split("</form>")[0]
    assert 'name="csrfmiddlewaretoken"' in form
    assert re.search(r'<script src="[^"]*js/cite\.js" defer></script>', html)
    for label in ("New meeting", "New commitment", "New complaint count", "New milestone"):
        assert f">{label}</button>" in html
    assert "Existing record…" in html
    assert 'name="passage-0-words"' in html and 'name="passage-0-start"' in html
    assert '<option value="commitment">Commitment made at the meeting</option>' in html
    assert "Cite for…" in html


def test_a_superuser_sees_the_panel(anonymous, source):
    anonymous.force_login(factories.UserFactory(username="root", is_superuser=True, is_staff=True))
    assert 'id="cite-panel"' in anonymous.get(source.get_absolute_url()).content.decode()


def test_the_page_cache_keeps_the_panel_out_of_the_visitors_pages(
    anonymous, editor, reader, source, settings
):
    settings.PAGE_CACHE_SECONDS = 300
    cache.clear()
    url = source.get_absolute_url()
    try:
        assert "cite-panel" not in anonymous.get(url).content.decode()
        assert "cite-panel" in editor.get(url).content.decode()
        assert "cite-panel" not in anonymous.get(url).content.decode()
        html = reader.get(url).content.decode()  # the editor's organisations: their audience
        assert "cite-panel" not in html and "<script" not in html
        assert "cite-panel" in editor.get(url).content.decode()
    finally:
        cache.clear()


# "New …": the admin's add page, by the fixed contract


@pytest.mark.parametrize("kind", ["meeting", "commitment", "complaintcount", "milestone"])
def test_each_new_button_goes_to_the_admin_add_page_with_the_contract_params(editor, source, kind):
    data = rows(
        (SENTENCE, "cite", *offsets(SENTENCE)),
        (QUOTE, "quote", *offsets(QUOTE)),
        (PLEDGE, "commitment", *offsets(PLEDGE)),
        ("Joint statement", "cite"),
    )
    response = editor.post(cite_url(source), {**data, "action": kind})
    assert response.status_code == 302
    path, params = query_of(response["Location"])
    assert path == reverse(f"admin:cooperation_{kind}_add")
    expected = {"cite_source": [str(source.pk)], "cite_quote": [QUOTE]}
    if kind == "meeting":
        expected |= {"cite": [SENTENCE, "Joint statement"], "cite_commitment": [PLEDGE]}
    else:  # a commitment passage is a plain citation of anything but a new meeting
        expected |= {"cite": [SENTENCE, PLEDGE, "Joint statement"]}
    assert params == expected


def test_offsets_give_the_exact_slice_of_the_text(editor, source):
    # A textarea sends CRLF line ends and the editor may have folded the spaces.
    sent = "The ministry and IOM agreed to open a hotline\r\nby   March."
    data = rows((sent, "cite", *offsets(SENTENCE)))
    response = editor.post(cite_url(source), {**data, "action": "meeting"})
    _, params = query_of(response["Location"])
    assert params["cite"] == [SENTENCE]
    assert params["cite"][0] == source.text[slice(*offsets(SENTENCE))]


def test_offsets_count_characters_as_python_does(editor, source):
    words = "🙂 Done."
    data = rows((words, "cite", *offsets(words)))
    _, params = query_of(editor.post(cite_url(source), {**data, "action": "meeting"})["Location"])
    assert params["cite"] == [words]


def test_offsets_around_white_space_are_moved_in_to_the_words(editor, source):
    start, end = offsets(PLEDGE)
    data = rows((PLEDGE, "cite", start - 1, end + 1))  # the newline before, the space after
    _, params = query_of(editor.post(cite_url(source), {**data, "action": "meeting"})["Location"])
    assert params["cite"] == [PLEDGE]


def test_words_that_differ_from_the_slice_stand_as_sent_if_the_source_holds_them(editor, source):
    start, end = offsets(SENTENCE)
    data = rows(("agreed to open a hotline", "cite", start, end))  # edited after selecting
    _, params = query_of(editor.post(cite_url(source), {**data, "action": "meeting"})["Location"])
    assert params["cite"] == ["agreed to open a hotline"]


def test_words_the_source_does_not_hold_give_the_panel_again_with_the_error(editor, source):
    data = rows((PLEDGE, "cite"), ("The ministry will train 300 officers", "quote"))
    response = editor.post(cite_url(source), {**data, "action": "meeting"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "verbatim in “Joint statement”" in html
    assert "The ministry will train 300 officers</textarea>" in html  # nothing lost
    assert f"{PLEDGE}</textarea>" in html
    assert '<option value="quote" selected>Quote</option>' in html
    assert "Joint statement of the ministry." in html  # the source's page, text and all


def test_no_passage_gives_the_panel_again_asking_for_one(editor, source):
    response = editor.post(cite_url(source), {**rows(("", "cite")), "action": "meeting"})
    assert response.status_code == 200
    assert "Select the words to cite in the text" in response.content.decode()


def test_blank_rows_are_left_out(editor, source):
    data = rows(("", "cite"), (PLEDGE, "cite", *offsets(PLEDGE)), ("  ", "quote"))
    response = editor.post(cite_url(source), {**data, "action": "milestone"})
    _, params = query_of(response["Location"])
    assert params == {"cite_source": [str(source.pk)], "cite": [PLEDGE]}


def test_passages_too_long_for_an_address_are_refused_with_a_reason(editor, db):
    sentences = [f"Sentence {n} " + "ក" * 400 + "." for n in range(8)]
    long_source = factories.SourceFactory(text=" ".join(sentences))
    data = rows(*((sentence, "cite") for sentence in sentences))
    response = editor.post(cite_url(long_source), {**data, "action": "meeting"})
    assert response.status_code == 200
    assert "too long to take along at once" in response.content.decode()


def test_passage_resolve():
    text = "One two.\n  Three four.  "
    assert citing.passage_resolve(text, start=9, end=len(text), words="Three four.") == (
        "Three four.",
        11,
        22,
    )
    assert citing.passage_resolve(text, start=0, end=99, words="One") == ("One", None, None)
    assert citing.passage_resolve(text, start=4, end=4, words="two") == ("two", None, None)
    assert citing.passage_resolve(text, start=None, end=8, words="two.") == ("two.", None, None)
    assert citing.passage_resolve(text, start=0, end=8, words="One  two.") == ("One two.", 0, 8)


# Hostile input: an answer, never a 500


HOSTILE = [
    {},
    {"action": "meeting"},
    {**rows((PLEDGE, "cite")), "action": "nonsense"},
    {**rows((PLEDGE, "cite")), "action": ""},
    {**rows((PLEDGE, "nonsense")), "action": "meeting"},
    {**rows((PLEDGE, "cite", "abc", "-5")), "action": "meeting"},
    {**rows((PLEDGE, "cite", "9" * 400, "9" * 5000)), "action": "meeting"},
    {**rows((PLEDGE, "cite", 10**9, 10**9 + 5)), "action": "meeting"},
    {**rows((PLEDGE, "cite", 40, 3)), "action": "meeting"},
    {**rows((PLEDGE, "cite", "\x00", "1")), "action": "meeting"},
    {**rows(("x" * 50_000, "cite")), "action": "meeting"},
    {**rows(("\x00" + PLEDGE, "cite")), "action": "meeting"},
    {**rows(("' OR 1=1 --", "cite")), "action": "existing"},
    {**rows((PLEDGE, "cite"), total="abc"), "action": "meeting"},
    {**rows((PLEDGE, "cite"), total="-1"), "action": "meeting"},
    {**rows((PLEDGE, "cite"), total="99999999999"), "action": "meeting"},
    {**rows(*[(PLEDGE, "cite")] * 25), "action": "meeting"},
    {"passage-TOTAL_FORMS": "1", "passage-0-words": PLEDGE, "action": "meeting"},
]


@pytest.mark.parametrize("data", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_panel_input_gets_an_answer(editor, source, data):
    response = editor.post(cite_url(source), data)
    assert response.status_code in (200, 302, 400), response.status_code
    get = editor.get(existing_url(source), data)
    assert get.status_code in (200, 302, 400), get.status_code
    post = editor.post(existing_url(source), {**data, "kind": "meeting", "record": "x"})
    assert post.status_code in (200, 400, 403), post.status_code
    assert not Citation.objects.exists()


def test_too_many_passages_are_refused(editor, source):
    response = editor.post(
        cite_url(source), {**rows(*[(PLEDGE, "cite")] * 21), "action": "meeting"}
    )
    assert response.status_code == 200
    assert "Cite at most 20 passages at a time." in response.content.decode()


def test_an_unknown_role_is_an_error_of_its_row(editor, source):
    response = editor.post(cite_url(source), {**rows((PLEDGE, "boss")), "action": "meeting"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_who_may_use_the_citing_pages(anonymous, reader, editor, source, db):
    data = {**rows((PLEDGE, "cite")), "action": "meeting"}
    for url in (cite_url(source), existing_url(source)):
        response = anonymous.post(url, data)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login") + "?next=")
        assert anonymous.get(url).status_code == 302
        assert reader.post(url, data).status_code == 403
    hidden = factories.SourceFactory(
        visibility=Visibility.INTERNAL, owner=factories.PartnerFactory(slug="elsewhere")
    )
    for url in (cite_url(hidden), existing_url(hidden), "/sources/999999/cite/"):
        assert editor.post(url, data).status_code == 404, url
    huge = "/sources/99999999999999999999/cite/"
    assert editor.post(huge, data).status_code == 404
    assert editor.get(cite_url(source)).status_code == 405  # the panel posts


# "Existing record…"


@pytest.fixture
def others(db):
    return factories.PartnerFactory(name="Another ministry", slug="another-ministry")


@pytest.fixture
def meetings(db, others):
    """Meetings the editor may edit, and meetings they may see but not edit, or not see."""
    owner = factories.default_owner()
    return {
        "owned public": factories.MeetingFactory(title="Owned public talks"),
        "owned internal": factories.MeetingFactory(
            title="Owned internal talks", visibility=Visibility.INTERNAL
        ),
        "shared with us": factories.MeetingFactory(
            title="Shared talks", visibility=Visibility.SHARED, owner=others, partners=[owner]
        ),
        "their public": factories.MeetingFactory(title="Their public talks", owner=others),
        "their internal": factories.MeetingFactory(
            title="Their internal talks", visibility=Visibility.INTERNAL, owner=others
        ),
        "shared elsewhere": factories.MeetingFactory(
            title="Shared elsewhere talks", visibility=Visibility.SHARED, owner=others
        ),
    }


def editor_user():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="editor")


def test_the_cite_button_leads_to_the_existing_record_page(editor, source):
    factories.MeetingFactory(title="Hotline talks")
    data = rows((PLEDGE, "cite", *offsets(PLEDGE)), (QUOTE, "quote"))
    response = editor.post(cite_url(source), {**data, "action": "existing"})
    assert response.status_code == 302
    path, params = query_of(response["Location"])
    assert path == existing_url(source)
    assert params["passage-0-words"] == [PLEDGE]
    assert params["passage-0-start"] == [str(offsets(PLEDGE)[0])]
    assert params["passage-1-role"] == ["quote"]
    page = editor.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert PLEDGE in html and QUOTE in html and "Hotline talks" in html
    assert "Quote by" in html  # a quote among the passages: who said it


def test_the_existing_record_page_lists_only_records_the_editor_may_edit(editor, source, meetings):
    response = editor.get(existing_url(source), {**rows((PLEDGE, "cite")), "kind": "meeting"})
    html = response.content.decode()
    for label in ("owned public", "owned internal", "shared with us"):
        assert meetings[label].title in html, label
    for label in ("their public", "their internal", "shared elsewhere"):
        assert meetings[label].title not in html, label
    assert "Quote by" not in html  # no quotes among the passages


def test_records_editable_is_may_edit_among_the_visible(meetings, editor):
    user = editor_user()
    listed = set(citing.records_editable(user=user, kind="meeting"))
    expected = {
        meeting
        for meeting in Meeting.objects.all()
        if visibility.is_visible(user, meeting) and visibility.may_edit(user, meeting)
    }
    assert listed == expected
    assert len(listed) == 3


def test_the_search_box_narrows_by_title_and_caps_the_list(editor, source):
    for n in range(25):
        factories.MeetingFactory(title=f"Border talks {n}")
    factories.MeetingFactory(title="Hotline review")
    params = {**rows((PLEDGE, "cite")), "kind": "meeting", "q": "hotline"}
    html = editor.get(existing_url(source), params).content.decode()
    assert "Hotline review" in html and "Border talks" not in html
    params["q"] = "border"
    html = editor.get(existing_url(source), params).content.decode()
    assert html.count('name="record"') == citing.RESULTS_SHOWN
    assert "Only the first 20 are shown" in html
    params = {**rows((PLEDGE, "cite")), "kind": "person", "q": "x" * 500}
    response = editor.get(existing_url(source), params)
    assert response.status_code == 200 and 'name="record"' not in response.content.decode()


@pytest.mark.parametrize(
    "kind", ["meeting", "commitment", "complaintcount", "milestone", "partner", "person"]
)
def test_cite_here_cites_the_passages_attributed_to_the_editor(editor, source, kind):
    record = getattr(
        factories,
        {
            "meeting": "MeetingFactory",
            "commitment": "CommitmentFactory",
            "complaintcount": "ComplaintCountFactory",
            "milestone": "MilestoneFactory",
            "partner": "PartnerFactory",
            "person": "PersonFactory",
        }[kind],
    )()
    speaker = factories.PersonFactory(name="The minister")
    data = rows((SENTENCE, "cite", *offsets(SENTENCE)), (QUOTE, "quote"), (PLEDGE, "commitment"))
    url = existing_url(source) + f"?kind={kind}"
    response = editor.post(url, {**data, "kind": kind, "record": record.pk, "person": speaker.pk})
    assert response.status_code == 302
    assert response["Location"] == reverse(f"admin:cooperation_{kind}_change", args=[record.pk])
    citations = list(record.citations.order_by("pk"))
    assert [c.passage for c in citations] == [SENTENCE, QUOTE, PLEDGE]
    assert [c.quoted_person for c in citations] == [None, speaker, None]
    assert all(c.source == source for c in citations)
    assert {c.history.first().history_user for c in citations} == {editor_user()}
    follow = editor.get(reverse("cooperation:dashboard"))
    messages = [str(m) for m in follow.context["messages"]]
    assert messages == [f"3 passages cited on “{record}”."]


def test_a_record_the_editor_may_not_edit_is_refused(editor, source, meetings):
    data = rows((PLEDGE, "cite"))
    for label in ("their public", "their internal", "shared elsewhere"):
        meeting = meetings[label]
        response = editor.post(
            existing_url(source), {**data, "kind": "meeting", "record": meeting.pk}
        )
        assert response.status_code == 403, label
        assert "not one you may edit" in response.content.decode()
    response = editor.post(existing_url(source), {**data, "kind": "meeting", "record": 10**12})
    assert response.status_code == 403
    assert not Citation.objects.exists()


def test_a_quote_needs_the_person_who_said_it(editor, source, meetings, others):
    meeting = meetings["owned public"]
    data = {**rows((PLEDGE, "cite"), (QUOTE, "quote")), "kind": "meeting", "record": meeting.pk}
    response = editor.post(existing_url(source), data)
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    hidden = factories.PersonFactory(
        visibility=Visibility.INTERNAL, owner=others, partner=Partner.objects.get(pk=others.pk)
    )
    response = editor.post(existing_url(source), {**data, "person": hidden.pk})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Citation.objects.exists()


def test_tampered_passages_are_checked_again_and_nothing_is_written(editor, source, meetings):
    meeting = meetings["owned public"]
    data = {**rows(("The ministry will burn the hotline.", "cite")), "kind": "meeting"}
    response = editor.post(existing_url(source), {**data, "record": meeting.pk})
    assert response.status_code == 200
    assert "verbatim in “Joint statement”" in response.content.decode()
    assert not Citation.objects.exists()


def test_a_reader_cannot_cite_until_made_an_editor(anonymous, source, meetings):
    client = anonymous
    reader = factories.UserFactory(username="reader")
    reader.groups.add(Group.objects.get(name="Viewer"))
    factories.join_owners(reader)
    client.force_login(reader)
    data = {**rows((PLEDGE, "cite")), "kind": "meeting", "record": meetings["owned public"].pk}
    assert client.post(existing_url(source), data).status_code == 403
    assert not Citation.objects.exists()
    reader.groups.add(Group.objects.get(name=EDITOR))
    reader = type(reader).objects.get(pk=reader.pk)  # permissions are cached per user object
    client.force_login(reader)
    assert client.post(existing_url(source), data).status_code == 302
    assert Citation.objects.count() == 1
