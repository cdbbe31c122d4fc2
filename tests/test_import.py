"""Bulk import: each kind through the write path, dry run, all or nothing, idempotence,
history and provenance."""

import os
import time

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cooperation.models import (
    Citation,
    Commitment,
    CommitmentStatus,
    ComplaintCount,
    Meeting,
    Milestone,
    Partner,
    Person,
    Source,
    Topic,
)
from tests.factories import UserFactory
from tests.import_helpers import SEED_PASSAGE, SEED_SOURCE, csv_bytes, messages, run

pytestmark = pytest.mark.django_db

CITED = ["source", "passage"]
CITE = [SEED_SOURCE, SEED_PASSAGE]

KIND_FILES = {
    "topic": (Topic, [["slug", "name"], ["forced-labour", "Forced labour"]]),
    "source": (
        Source,
        [["reference", "title", "text"], ["letter-1", "A letter", "The words of the letter."]],
    ),
    "partner": (
        Partner,
        [
            ["slug", "name", "kind", "parent", *CITED],
            ["moi-unit", "MoI unit", "agency", "ministry-of-interior", *CITE],
        ],
    ),
    "person": (
        Person,
        [
            ["slug", "name", "partner", "role", *CITED],
            ["new-person", "New Person", "iom", "Officer", *CITE],
        ],
    ),
    "meeting": (
        Meeting,
        [
            ["slug", "title", "summary", "partners", "participants", "topics", "date", *CITED],
            [
                "moi-iom-2024",
                "MoI meets IOM",
                "Returns",
                "ministry-of-interior; iom",
                "sar-kheng",
                "human-trafficking",
                "2024-03-31",
                *CITE,
            ],
        ],
    ),
    "commitment": (
        Commitment,
        [
            ["title", "made_by", "made_to", "target_date", "date", *CITED],
            ["Train officers", "ministry-of-interior", "iom", "2025-01-01", "2024-03-31", *CITE],
        ],
    ),
    "complaintcount": (
        ComplaintCount,
        [
            ["received_by", "period_start", "period_end", "count", "verified_share", *CITED],
            ["ministry-of-interior", "2024-01-01", "2024-03-31", "42", "0.25", *CITE],
        ],
    ),
    "milestone": (
        Milestone,
        [
            ["slug", "title", "kind", "partners", "date", *CITED],
            ["plan-2024", "Plan adopted", "plan", "government-of-cambodia", "2024-05-01", *CITE],
        ],
    ),
}


@pytest.mark.parametrize("kind", sorted(KIND_FILES))
def test_each_kind_imports_then_a_second_import_changes_nothing(seed, kind):
    model, rows = KIND_FILES[kind]
    before = model.objects.count()
    first = run(kind, csv_bytes(rows))
    assert messages(first) == []
    assert first.summary == "1 new, 0 changed, 0 unchanged, 0 errors"
    assert model.objects.count() == before + 1
    second = run(kind, csv_bytes(rows))
    assert second.summary == "0 new, 0 changed, 1 unchanged, 0 errors"
    assert model.objects.count() == before + 1


def test_meeting_links_are_saved(seed):
    run("meeting", csv_bytes(KIND_FILES["meeting"][1]))
    meeting = Meeting.objects.get(slug="moi-iom-2024")
    assert {p.slug for p in meeting.partners.all()} == {"ministry-of-interior", "iom"}
    assert [p.slug for p in meeting.participants.all()] == ["sar-kheng"]
    assert meeting.citations.get().passage == SEED_PASSAGE


def test_commitment_updates_append_to_the_history_and_set_the_status(seed):
    commitment = Commitment.objects.get(pk=1)
    rows = [
        ["commitment", "status", "date", "source", "passage"],
        [commitment.pk, "stalled", "2030-01-01", *CITE],
    ]
    report = run("commitment_update", csv_bytes(rows))
    assert report.summary == "1 new, 0 changed, 0 unchanged, 0 errors", messages(report)
    commitment.refresh_from_db()
    assert commitment.status == CommitmentStatus.STALLED
    assert run("commitment_update", csv_bytes(rows)).summary.startswith("0 new, 0 changed, 1 ")


def test_a_changed_value_is_reported_changed_and_written(seed):
    rows = [["slug", "name", "kind", *CITED], ["iom", "IOM renamed", "igo", *CITE]]
    report = run("partner", csv_bytes(rows))
    assert report.summary == "0 new, 1 changed, 0 unchanged, 0 errors"
    assert Partner.objects.get(slug="iom").name == "IOM renamed"


def test_dry_run_writes_nothing_and_reports_what_it_would_do(seed):
    model, rows = KIND_FILES["meeting"]
    report = run("meeting", csv_bytes(rows), dry_run=True)
    assert report.summary == "1 new, 0 changed, 0 unchanged, 0 errors"
    assert not report.written
    assert not Meeting.objects.filter(slug="moi-iom-2024").exists()


def test_dry_run_lists_every_error_with_row_and_column(seed):
    rows = [
        ["slug", "name", "kind", *CITED],
        ["a", "A", "nonsense", *CITE],
        ["b", "B", "ngo", "nowhere", SEED_PASSAGE],
    ]
    report = run("partner", csv_bytes(rows), dry_run=True)
    assert messages(report) == [
        "row 2, column kind: “nonsense” is not one of: government, ministry, agency, provincial, "
        "embassy, igo, regional_office, regional_bloc, task_force, standard_setter, ngo, other.",
        "row 3, column source: there is no source with the reference “nowhere”.",
    ]
    assert report.summary.endswith("2 errors")


def test_one_bad_row_writes_nothing_even_in_a_real_run(seed):
    rows = [
        ["slug", "name", "kind", *CITED],
        ["good-one", "Good", "ngo", *CITE],
        ["bad-one", "Bad", "ngo", SEED_SOURCE, "words that are not in the source"],
    ]
    report = run("partner", csv_bytes(rows))
    assert report.summary == "1 new, 0 changed, 0 unchanged, 1 errors"
    assert not report.written
    assert not Partner.objects.filter(slug="good-one").exists()


def test_history_is_attributed_to_the_importing_user(seed):
    user = UserFactory(username="importer", is_superuser=True)
    run("partner", csv_bytes(KIND_FILES["partner"][1]), user=user)
    partner = Partner.objects.get(slug="moi-unit")
    assert partner.history.get().history_user == user
    citation = partner.citations.get()
    assert citation.history.get().history_user == user


def test_command_attributes_to_user_and_exits_non_zero_on_errors(seed, tmp_path, capsys):
    UserFactory(username="alice")
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(KIND_FILES["topic"][1]))
    call_command("import_records", str(good), kind="topic", user="alice")
    assert "1 new, 0 changed, 0 unchanged, 0 errors" in capsys.readouterr().out
    assert Topic.objects.get(slug="forced-labour").history.get().history_user.username == "alice"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([["slug", "name"], ["", "No slug"]]))
    with pytest.raises(CommandError):
        call_command("import_records", str(bad), kind="topic", dry_run=True)
    captured = capsys.readouterr()
    assert "row 2, column slug: this column needs a value." in captured.err
    assert "0 new, 0 changed, 0 unchanged, 1 errors" in captured.out


def test_provenance_new_source_is_made_in_the_same_import(seed):
    rows = [
        [
            "slug",
            "name",
            "kind",
            "source_title",
            "source_publisher",
            "source_date",
            "source_text",
            "passage",
        ],
        [
            "ngo-a",
            "NGO A",
            "ngo",
            "Annual report",
            "NGO A",
            "2024-02-01",
            "NGO A helped 30 people in 2023.",
            "helped 30 people",
        ],
        [
            "ngo-b",
            "NGO B",
            "ngo",
            "Annual report",
            "NGO A",
            "2024-02-01",
            "NGO A helped 30 people in 2023.",
            "NGO A helped",
        ],
    ]
    report = run("partner", csv_bytes(rows))
    assert report.summary == "2 new, 0 changed, 0 unchanged, 0 errors", messages(report)
    source = Source.objects.get(title="Annual report")
    assert str(source.published_on) == "2024-02-01"
    assert Citation.objects.filter(source=source).count() == 2
    assert run("partner", csv_bytes(rows)).summary.startswith("0 new, 0 changed, 2 unchanged")


def test_provenance_existing_source_is_cited(seed):
    run("person", csv_bytes(KIND_FILES["person"][1]))
    citation = Person.objects.get(slug="new-person").citations.get()
    assert citation.source.reference == SEED_SOURCE


def test_provenance_passage_not_in_source_is_a_row_error(seed):
    rows = [["slug", "name", "kind", *CITED], ["x", "X", "ngo", SEED_SOURCE, "invented words"]]
    report = run("partner", csv_bytes(rows))
    title = Source.objects.get(reference=SEED_SOURCE).title
    assert messages(report) == [
        f"row 2, column passage: Passage: these words do not appear verbatim in “{title}”."
    ]


def test_a_new_row_without_provenance_is_an_error(seed):
    rows = [["slug", "name", "kind", *CITED], ["x", "X", "ngo", "", ""]]
    report = run("partner", csv_bytes(rows))
    assert [e.column for e in report.errors] == ["passage"]
    assert not Partner.objects.filter(slug="x").exists()


# The admin: upload, preview, confirm ---------------------------------------------------------


def _upload(client, content: bytes, kind="partner", name="partners.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        "/admin/cooperation/partner/import/",
        {"kind": kind, "file": SimpleUploadedFile(name, content, "text/csv")},
    )


@pytest.fixture
def editor_client(client, seed, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(UserFactory(username="boss", is_superuser=True, is_staff=True))
    return client


def test_admin_preview_lists_errors_and_offers_no_confirm(editor_client):
    rows = [["slug", "name", "kind", *CITED], ["x", "X", "nonsense", *CITE]]
    response = _upload(editor_client, csv_bytes(rows))
    page = response.content.decode()
    assert response.status_code == 200
    assert "0 new, 0 changed, 0 unchanged, 1 errors" in page
    assert "“nonsense” is not one of" in page
    assert 'name="token"' not in page
    assert not Partner.objects.filter(slug="x").exists()


def test_admin_preview_then_confirm_writes_as_the_user(editor_client):
    response = _upload(editor_client, csv_bytes(KIND_FILES["partner"][1]))
    assert "1 new, 0 changed, 0 unchanged, 0 errors" in response.content.decode()
    assert not Partner.objects.filter(slug="moi-unit").exists()
    token = response.context["token"]
    confirmed = editor_client.post("/admin/cooperation/partner/import/", {"token": token})
    assert confirmed.status_code == 302
    partner = Partner.objects.get(slug="moi-unit")
    assert partner.history.get().history_user.username == "boss"
    again = editor_client.post("/admin/cooperation/partner/import/", {"token": token})
    assert again.status_code == 302
    assert Partner.objects.filter(slug="moi-unit").count() == 1


def test_a_preview_no_one_confirms_is_deleted_a_day_later(editor_client, tmp_path):
    first = _upload(editor_client, csv_bytes(KIND_FILES["partner"][1])).context["token"]
    kept = tmp_path / "imports" / first
    assert kept.exists()
    a_day_ago = time.time() - 24 * 3600 - 60
    os.utime(kept, (a_day_ago, a_day_ago))
    second = _upload(editor_client, csv_bytes(KIND_FILES["partner"][1])).context["token"]
    assert not kept.exists()
    assert (tmp_path / "imports" / second).exists()
    expired = editor_client.post("/admin/cooperation/partner/import/", {"token": first})
    assert expired.status_code == 302
    assert not Partner.objects.filter(slug="moi-unit").exists()


def test_admin_import_refuses_a_file_over_the_limit(editor_client, settings):
    settings.IMPORT_MAX_BYTES = 50
    response = _upload(editor_client, csv_bytes(KIND_FILES["partner"][1]) * 3)
    assert response.status_code == 413
    assert "split it" in response.content.decode()


def test_admin_import_needs_the_add_permission(client, seed):
    client.force_login(UserFactory(username="staffer", is_staff=True))
    assert client.get("/admin/cooperation/partner/import/").status_code == 403
    assert client.get("/imports/templates/partner.xlsx").status_code == 403


def test_admin_import_is_csrf_protected(seed):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(username="boss2", is_superuser=True, is_staff=True))
    response = _upload(client, csv_bytes(KIND_FILES["partner"][1]))
    assert response.status_code == 403
    assert not Partner.objects.filter(slug="moi-unit").exists()


def test_the_changelist_links_to_import(editor_client):
    page = editor_client.get("/admin/cooperation/meeting/").content.decode()
    assert "/admin/cooperation/meeting/import/" in page


@pytest.mark.parametrize("kind", sorted(KIND_FILES) + ["commitment_update"])
def test_templates_download_and_import_their_example_row(editor_client, kind, tmp_path):
    from openpyxl import load_workbook

    response = editor_client.get(f"/imports/templates/{kind}.xlsx")
    assert response.status_code == 200
    path = tmp_path / "template.xlsx"
    path.write_bytes(response.content)
    book = load_workbook(path)
    header = [cell.value for cell in book.worksheets[0][1]]
    from cooperation.imports import KINDS

    assert header == KINDS[kind].column_names
    assert book.worksheets[1].max_row > len(header)
    call_command("import_records", template=[kind, str(tmp_path / "cmd.xlsx")])
    assert load_workbook(tmp_path / "cmd.xlsx").worksheets[0].max_column == len(header)


def test_an_unknown_template_is_404(editor_client):
    assert editor_client.get("/imports/templates/nothing.xlsx").status_code == 404
