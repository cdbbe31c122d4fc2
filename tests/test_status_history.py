"""A commitment's status is that of the last entry in its history's order (undated first, then
by date, then as recorded): an entry that lands earlier is kept, the editor who adds it is
warned why it leaves the status as it is, and the admin and the public page list the history
in that order with the deciding entry marked."""

import datetime
import re

import pytest
from django.contrib.messages import WARNING, get_messages
from django.urls import reverse

from cooperation import models, services
from cooperation.roles import EDITOR, roles_sync
from cooperation.services.commitments import commitment_deciding_update, update_placement
from tests import factories

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
PASSAGE = "The ministry met its partners"
UNDATED_REASON = (
    "Recorded as history: the status stays In progress because this entry has no date, "
    "and undated entries come before dated ones."
)


@pytest.fixture
def commitment(db):
    """A commitment in progress since a dated entry of 1 Nov 2024."""
    commitment = factories.CommitmentFactory(title="Open a hotline for victims")
    source = factories.SourceFactory()
    services.commitment_add_update(
        commitment=commitment,
        status=models.CommitmentStatus.IN_PROGRESS,
        date=datetime.date(2024, 11, 1),
        source=source,
        passage=PASSAGE,
    )
    commitment.refresh_from_db()
    return commitment


def add_entry(commitment, **data):
    return services.commitment_add_update(
        commitment=commitment,
        source=commitment.updates.first().source,
        passage=PASSAGE,
        **data,
    )


def undated(status=models.CommitmentStatus.STALLED):
    return {"status": status, "date": None, "date_precision": models.DatePrecision.UNKNOWN}


def change_url(commitment):
    return reverse("admin:cooperation_commitment_change", args=[commitment.pk])


def change_form_data(client, commitment) -> dict:
    """What the change page's form posts back untouched: its fields' values and, for each
    inline, the management form and the existing rows' ids."""
    response = client.get(change_url(commitment))
    assert response.status_code == 200
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        if isinstance(value, datetime.date):
            value = value.isoformat()
        data[form.add_prefix(name)] = value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name in formset.management_form.fields:
            data[formset.management_form.add_prefix(name)] = formset.management_form[name].value()
        for row in formset.initial_forms:
            data[row.add_prefix("id")] = row.instance.pk
            data[row.add_prefix(formset.fk.name)] = commitment.pk
    return data


def post_new_entry(client, commitment, **entry):
    """Save the commitment's change page with one new status row filled in."""
    data = change_form_data(client, commitment)
    index = int(data["updates-TOTAL_FORMS"])
    data["updates-TOTAL_FORMS"] = str(index + 1)
    row = {
        "date": "",
        "date_precision": models.DatePrecision.DAY,
        "date_inferred": "",
        "note": "",
        "source": commitment.updates.first().source_id,
        "passage": PASSAGE,
        **entry,
    }
    data |= {f"updates-{index}-{name}": value for name, value in row.items()}
    response = client.post(change_url(commitment), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    return response


def warnings_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request) if m.level == WARNING]


def test_an_undated_entry_in_the_admin_is_kept_and_warned_about(editor_client, commitment):
    response = post_new_entry(
        editor_client, commitment, status="stalled", date_precision=models.DatePrecision.UNKNOWN
    )

    assert warnings_of(response) == [
        f"The new entry “Stalled — date unknown” does not change the status. {UNDATED_REASON}"
    ]
    commitment.refresh_from_db()
    assert commitment.status == models.CommitmentStatus.IN_PROGRESS
    assert [u.status for u in commitment.updates.all()] == ["stalled", "in_progress"]


def test_an_older_entry_in_the_admin_is_kept_and_warned_about(editor_client, commitment):
    response = post_new_entry(editor_client, commitment, status="fulfilled", date="2023-03-03")

    [warning] = warnings_of(response)
    assert "“Fulfilled — 3 Mar 2023”" in warning
    assert warning.endswith(
        "Recorded as history: the status stays In progress because this entry is dated "
        "3 Mar 2023, before 1 Nov 2024, the date of the latest entry."
    )
    commitment.refresh_from_db()
    assert commitment.status == models.CommitmentStatus.IN_PROGRESS
    assert commitment.updates.count() == 2


def test_a_newer_entry_in_the_admin_moves_the_status_without_a_warning(editor_client, commitment):
    response = post_new_entry(editor_client, commitment, status="fulfilled", date="2025-01-15")

    assert warnings_of(response) == []
    assert any("was changed successfully" in str(m) for m in get_messages(response.wsgi_request))
    commitment.refresh_from_db()
    assert commitment.status == models.CommitmentStatus.FULFILLED


def test_the_reason_names_the_case_that_kept_the_entry_back(commitment):
    dated_entry = commitment.updates.get()
    assert update_placement(update=dated_entry) is None

    same_day = add_entry(
        commitment,
        status="stalled",
        date=datetime.date(2024, 11, 1),
        recorded_at=dated_entry.recorded_at - datetime.timedelta(minutes=5),
    )
    assert update_placement(update=same_day) == (
        "Recorded as history: the status stays In progress because the latest entry has the "
        "same date, 1 Nov 2024, and was recorded after this one."
    )

    in_a_month = add_entry(
        commitment, status="stalled", date=datetime.date(2024, 10, 1), date_precision="month"
    )
    assert update_placement(update=in_a_month) == (
        "Recorded as history: the status stays In progress because this entry is dated "
        "Oct 2024 (counted as 1 Oct 2024), before 1 Nov 2024, the date of the latest entry."
    )
    assert commitment_deciding_update(commitment=commitment) == dated_entry


def test_among_undated_entries_the_one_recorded_last_decides(db):
    commitment = factories.CommitmentFactory()
    source = factories.SourceFactory()
    first = services.commitment_add_update(
        commitment=commitment, source=source, passage=PASSAGE, **undated("in_progress")
    )
    second = services.commitment_add_update(
        commitment=commitment, source=source, passage=PASSAGE, **undated("stalled")
    )
    commitment.refresh_from_db()
    assert commitment.status == models.CommitmentStatus.STALLED
    assert update_placement(update=second) is None
    reason = update_placement(update=first)
    assert reason.startswith(
        "Recorded as history: the status stays Stalled because another undated entry was "
        "recorded after this one, on "
    )


def test_the_admin_lists_the_history_in_deciding_order_with_the_decider_marked(
    editor_client, commitment
):
    add_entry(commitment, **undated())
    add_entry(commitment, status="fulfilled", date=datetime.date(2023, 3, 3))

    body = editor_client.get(change_url(commitment)).content.decode()

    start = body.index('id="updates-group"')
    group = body[start : body.index('id="updates-empty"', start)]
    labels = [
        label.strip()
        for label in re.findall(r'<span class="inline_label">(.*?)</span>', group, re.S)
    ]
    assert labels == [
        "Stalled — date unknown",
        "Fulfilled — 3 Mar 2023",
        "In progress — 1 Nov 2024",
    ]
    places = [
        re.sub(r"\s+", " ", text).strip()
        for text in re.findall(
            r'field-place_in_history.*?<div class="readonly">(.*?)</div>', group, re.S
        )
    ]
    assert places == [
        "Undated: listed before the dated entries, so it does not decide the status.",
        "History: a later entry decides the status.",
        "Decides the status",
    ]
    assert "Undated entries come first" in body
    assert 'id="updates-group"' in body and "stacked" in body


def test_the_public_page_lists_the_history_in_deciding_order_with_the_decider_marked(
    client, commitment
):
    add_entry(commitment, **undated())
    add_entry(commitment, status="fulfilled", date=datetime.date(2023, 3, 3))

    body = client.get(commitment.get_absolute_url()).content.decode()

    history = body[body.index('<ol class="history">') : body.index("</ol>", body.index("history"))]
    entries = re.findall(r"<li.*?</li>", history, re.S)
    assert [re.search(r'class="status status-(\w+)"', e)[1] for e in entries] == [
        "stalled",
        "fulfilled",
        "in_progress",
    ]
    assert "Undated: listed first, so it does not decide the status" in entries[0]
    assert "Decides the status" not in entries[0] + entries[1]
    assert "Decides the status" in entries[2] and 'class="decides-status"' in entries[2]
    assert "The status is that of the last entry below." in body


# The page's width, and every element of the status history that reaches past the screen's
# right edge (a wide table inside a scrolling box counts: it leaves the screen all the same).
MEASURE = """() => [
    document.documentElement.scrollWidth,
    window.innerWidth,
    [...document.querySelectorAll('#updates-group *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
        .map(e => `${e.tagName.toLowerCase()}#${e.id}.${e.className}`)
        .slice(0, 5),
]"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width, height", [(1280, 900), (390, 844)])
def test_a_new_status_row_keeps_the_admin_page_within_the_screen(
    browser, live_server, width, height
):
    roles_sync()  # transactional tests empty the tables, the migration's groups with them
    factories.user_with_role("history-editor", EDITOR)
    commitment = factories.CommitmentFactory(title="Open a hotline for victims")
    services.commitment_add_update(
        commitment=commitment,
        status="in_progress",
        date=datetime.date(2024, 11, 1),
        source=factories.SourceFactory(),
        passage=PASSAGE,
    )
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", "history-editor")
        page.fill("#id_password", PASSWORD)
        page.click("input[type=submit]")
        page.wait_for_selector("#site-name")

        page.goto(f"{live_server.url}{change_url(commitment)}")
        page.get_by_text("Add another Commitment update").click()
        page.wait_for_selector("#id_updates-1-passage")
        scroll_width, inner_width, overflowing = page.evaluate(MEASURE)
    finally:
        context.close()
    assert inner_width == width
    assert scroll_width <= inner_width, overflowing
    assert overflowing == []
