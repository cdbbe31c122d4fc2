"""A newcomer's first day with Concord's data, end to end, as issue 12 puts it: the seed's own
exports import back with no change; a spreadsheet of meetings made from the downloaded template
imports after fixing what its dry run listed; and the same records read back through the API
with a token an administrator issued in the admin."""

import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cooperation.models import Meeting
from cooperation.roles import ADMINISTRATOR, EDITOR
from tests.factories import user_with_role

pytestmark = pytest.mark.django_db

MEETINGS = 600
LISTS = {
    "partner": "/partners/",
    "meeting": "/meetings/",
    "commitment": "/commitments/",
    "complaintcount": "/complaints/",
    "milestone": "/milestones/",
}
SOURCE_TEXT = (
    "IOM Cambodia field log. Each entry records one coordination meeting with the ministry."
)
PASSAGE = "Each entry records one coordination meeting with the ministry."


def import_records(path, kind, **options) -> tuple[str, str, bool]:
    """Run the command as a newcomer would; its output, its errors, and whether it succeeded."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_records", str(path), kind=kind, stdout=out, stderr=err, **options)
    except CommandError as refused:
        err.write(str(refused))
        return out.getvalue(), err.getvalue(), False
    return out.getvalue(), err.getvalue(), True


def spreadsheet(header: list[str], rows: list[dict]) -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(name) for name in header])
    return book


def meeting_row(n: int) -> dict:
    return {
        "slug": f"iom-field-meeting-{n}",
        "title": f"Field coordination meeting {n}",
        "summary": "Coordination on the return and reintegration of victims.",
        "partners": "ministry-of-interior; iom",
        "date": f"{2015 + n % 10}-{n % 12 + 1:02d}-{n % 28 + 1:02d}",
        "date_precision": "day",
        "visibility": "public",
        "source": "iom-cambodia-field-log",
        "source_title": "IOM Cambodia field log",
        "source_text": SOURCE_TEXT,
        "passage": PASSAGE,
    }


def test_a_newcomer_round_trips_the_seed_imports_a_spreadsheet_and_reads_it_by_api(
    client, seed, tmp_path
):
    administrator = user_with_role("administrator", ADMINISTRATOR, staff=True)
    editor = user_with_role("newcomer", EDITOR, staff=True)

    # The seed's own exports import back with no change.
    client.force_login(editor)
    for kind, page in LISTS.items():
        response = client.get(f"{page}?_export=csv")
        assert response.status_code == 200, kind
        export = tmp_path / f"{kind}.csv"
        export.write_bytes(b"".join(response.streaming_content))
        out, err, ok = import_records(export, kind, dry_run=True, user="newcomer")
        assert ok, err
        assert out.splitlines()[0].startswith("0 new, 0 changed, "), (kind, out)
        assert out.splitlines()[0].endswith(" unchanged, 0 errors"), (kind, out)

    # The template names the columns; the spreadsheet follows it, with three mistakes.
    response = client.get("/imports/templates/meeting.xlsx")
    assert response.status_code == 200
    header = [
        cell.value
        for cell in next(openpyxl.load_workbook(io.BytesIO(response.content)).active.rows)
    ]
    rows = [meeting_row(n) for n in range(MEETINGS)]
    rows[10]["partners"] = "ministry-of-interior; iom-cambodia"
    rows[200]["date"] = "12/03/2019"
    rows[399]["passage"] = "One meeting a week."
    path = tmp_path / "meetings.xlsx"
    spreadsheet(header, rows).save(path)

    out, err, ok = import_records(path, "meeting", dry_run=True, user="newcomer")
    assert not ok
    listed = [line for line in err.splitlines() if line.startswith("row ")]
    assert [line.split(":")[0] for line in listed] == [
        "row 12, column partners",
        "row 202, column date",
        "row 401, column passage",
    ], err
    assert "iom-cambodia" in listed[0]
    assert f"{MEETINGS - 3} new, 0 changed, 0 unchanged, 3 errors" in out
    assert not Meeting.objects.filter(slug__startswith="iom-field-meeting-").exists()

    # Fixed as the dry run said; the dry run is clean; the import writes every row.
    rows[10] = meeting_row(10)
    rows[200]["date"] = "2019-03-12"
    rows[399]["passage"] = PASSAGE
    spreadsheet(header, rows).save(path)
    out, err, ok = import_records(path, "meeting", dry_run=True, user="newcomer")
    assert ok, err
    assert out.splitlines()[0] == f"{MEETINGS} new, 0 changed, 0 unchanged, 0 errors"
    out, err, ok = import_records(path, "meeting", user="newcomer")
    assert ok, err
    imported = Meeting.objects.filter(slug__startswith="iom-field-meeting-")
    assert imported.count() == MEETINGS
    assert {
        record.history_user for record in Meeting.history.filter(slug="iom-field-meeting-0")
    } == {editor}
    # Again: the second import of the same file changes nothing.
    out, err, ok = import_records(path, "meeting", user="newcomer")
    assert out.splitlines()[0] == f"0 new, 0 changed, {MEETINGS} unchanged, 0 errors"

    # The administrator issues the newcomer a token in the admin.
    client.force_login(administrator)
    response = client.post("/admin/authtoken/tokenproxy/add/", {"user": editor.pk})
    assert response.status_code == 302
    token = Token.objects.get(user=editor)

    # Read back through the API, a cursor page at a time: the same records, with their citation.
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    url = "/api/meetings/?partner=iom&page_size=100"
    seen: dict[str, dict] = {}
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.content[:300]
        for meeting in response.json()["results"]:
            seen[meeting["id"]] = meeting
        url = response.json()["next"]
    ours = {slug: meeting for slug, meeting in seen.items() if slug.startswith("iom-field-")}
    assert set(ours) == set(imported.values_list("slug", flat=True))
    first = ours["iom-field-meeting-200"]
    assert first["name"] == "Field coordination meeting 200"
    assert first["start_date"] == "2019-03-12"
    assert [source["title"] for source in first["sources"]] == ["IOM Cambodia field log"]
    assert [citation["passage"] for citation in first["citations"]] == [PASSAGE]
