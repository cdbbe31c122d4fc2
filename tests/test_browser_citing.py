"""Citing by selecting, in a real Chromium with the Content Security Policy on: an editor drags
over a sentence of a source's text, presses "Cite for…", finds the exact words and offsets in
the panel, and "New meeting" opens the admin's add page citing them; a visitor's page has no
script. The page looks right on a wide and a narrow screen."""

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Group

from cooperation.roles import EDITOR, roles_sync
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"

# An emoji first, so offsets counted in UTF-16 units (JavaScript's) would be off by one.
TEXT = (
    "🙂 Joint statement of the ministry.\n\n"
    "Today the ministry and IOM agreed to open a hotline by March. "
    "“We will protect every victim,” said the minister.\n"
    "The ministry will train 200 officers this year."
)
SENTENCE = "the ministry and IOM agreed to open a hotline by March."
PLEDGE = "The ministry will train 200 officers this year."


@pytest.fixture
def citing_server(live_server):
    roles_sync()  # transactional tests empty the tables, the migration's groups with them
    user = factories.UserFactory(username="editor", is_staff=True)
    user.groups.add(Group.objects.get(name=EDITOR))
    factories.join_owners(user)
    source = factories.SourceFactory(title="Joint statement", text=TEXT)
    # A cited passage inside the sentence: the selection crosses its <mark>.
    factories.CitationFactory(source=source, passage="IOM agreed")
    live_server.source = source
    return live_server


def watch_policy(page) -> list[str]:
    problems = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if "Content Security Policy" in message.text or message.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def sign_in(page, base: str) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(base + "/")


def char_box(page, words: str, index: int) -> dict:
    """The box of the character at `index` in the first text node of .source-text holding
    `words` (from its start, or from its end when negative)."""
    return page.evaluate(
        """([words, index]) => {
          const text = document.querySelector(".source-text");
          const walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT);
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const at = node.data.indexOf(words);
            if (at < 0) continue;
            const offset = index >= 0 ? at + index : at + words.length + index;
            const range = document.createRange();
            range.setStart(node, offset);
            range.setEnd(node, offset + 1);
            const box = range.getBoundingClientRect();
            return {left: box.left, right: box.right, top: box.top, bottom: box.bottom};
          }
          return null;
        }""",
        [words, index],
    )


def drag_over(page, first: str, last: str) -> None:
    """A real mouse drag from the first character of `first` to the last one of `last`."""
    start = char_box(page, first, 0)
    end = char_box(page, last, -1)
    y = lambda box: (box["top"] + box["bottom"]) / 2  # noqa: E731
    page.mouse.move(start["left"] + 1, y(start))
    page.mouse.down()
    page.mouse.move((start["left"] + end["right"]) / 2, y(end), steps=5)
    page.mouse.move(end["right"] - 1, y(end), steps=5)
    page.mouse.up()


def row_values(page, index: int) -> dict:
    return {
        name: page.input_value(f"[name='passage-{index}-{name}']")
        for name in ("words", "start", "end", "role")
    }


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / f"cite-{name}-{width}.png"), full_page=True)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 1, f"{name} at {width}px scrolls sideways by {overflow}px"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_an_editor_selects_a_sentence_and_starts_a_meeting_citing_it(citing_server, page):
    base, source = citing_server.url, citing_server.source
    problems = watch_policy(page)
    page.goto(base + source.get_absolute_url())
    assert page.locator("script").count() == 0  # a visitor's page runs nothing
    assert page.locator("#cite-panel").count() == 0

    sign_in(page, base)
    response = page.goto(base + source.get_absolute_url())
    assert "script-src 'self'" in response.headers["content-security-policy"]
    button = page.get_by_role("button", name="Cite for…")
    assert button.is_hidden()

    drag_over(page, "the ministry and", "by March.")
    button.wait_for(state="visible")
    shoot(page, "selection")
    button.wait_for(state="visible")
    selection_end = char_box(page, "by March.", -1)
    box = button.bounding_box()
    assert selection_end["bottom"] - 2 <= box["y"] <= selection_end["bottom"] + 40  # beside it
    button.click()

    start = TEXT.index(SENTENCE)
    assert row_values(page, 0) == {
        "words": SENTENCE,
        "start": str(start),
        "end": str(start + len(SENTENCE)),
        "role": "cite",
    }
    assert TEXT[start : start + len(SENTENCE)] == SENTENCE
    assert button.is_hidden()  # the selection is used up

    # A selection reaching into white space and the paragraph number before it, by keyboard.
    page.evaluate(
        """(pledge) => {
          const text = document.querySelector(".source-text");
          const walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT);
          let before = null, node;
          while ((node = walker.nextNode())) {
            if (node.data.includes(pledge)) break;
            if (!node.parentElement.closest(".para-no")) before = node;
          }
          const range = document.createRange();
          range.setStart(before, before.data.length - 1);  // the newline ending the paragraph
          range.setEnd(node, node.data.length);
          getSelection().removeAllRanges();
          getSelection().addRange(range);
        }""",
        PLEDGE,
    )
    button.wait_for(state="visible")
    button.focus()
    page.keyboard.press("Enter")
    start = TEXT.index(PLEDGE)
    assert row_values(page, 1) == {
        "words": PLEDGE,
        "start": str(start),
        "end": str(start + len(PLEDGE)),
        "role": "cite",
    }
    # Pressed from the keyboard: the new row's words take the focus.
    assert page.evaluate("document.activeElement.name") == "passage-1-words"
    page.select_option("[name='passage-1-role']", "commitment")
    shoot(page, "panel")

    page.get_by_role("button", name="New meeting").click()
    page.wait_for_url("**/admin/cooperation/meeting/add/**")
    parts = urlsplit(page.url)
    assert parts.path == "/admin/cooperation/meeting/add/"
    assert parse_qs(parts.query) == {
        "cite_source": [str(source.pk)],
        "cite": [SENTENCE],
        "cite_commitment": [PLEDGE],
    }
    assert problems == [], "\n".join(problems)


def test_the_existing_record_page_cites_on_a_record(citing_server, page):
    base, source = citing_server.url, citing_server.source
    meeting = factories.MeetingFactory(title="Hotline talks")
    problems = watch_policy(page)
    sign_in(page, base)
    page.goto(base + source.get_absolute_url())
    page.fill("[name='passage-0-words']", "the minister")  # pasted: no JavaScript needed
    page.get_by_role("button", name="Existing record…").click()
    page.wait_for_selector("h1:has-text('Cite on an existing record')")
    shoot(page, "existing")
    page.get_by_role("button", name=re.compile(r"^Cite here\W+Hotline talks$")).click()
    page.wait_for_selector(".messagelist .success")
    assert [c.passage for c in meeting.citations.all()] == ["the minister"]
    assert meeting.citations.get().history.first().history_user.username == "editor"
    assert problems == [], "\n".join(problems)
