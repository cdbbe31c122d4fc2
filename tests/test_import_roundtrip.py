"""Round trip: the CSV export of every list page imports back with no change."""

import pytest
from django.urls import reverse

from cooperation.models import Commitment, Meeting
from tests.factories import UserFactory
from tests.import_helpers import messages, run

pytestmark = pytest.mark.django_db

LIST_PAGES = {
    "partner": "cooperation:partner-list",
    "meeting": "cooperation:meeting-list",
    "commitment": "cooperation:commitment-list",
    "complaintcount": "cooperation:complaintcount-list",
    "milestone": "cooperation:milestone-list",
}


def export(client, kind: str, query: str = "_export=csv") -> bytes:
    response = client.get(f"{reverse(LIST_PAGES[kind])}?{query}")
    assert response.status_code == 200
    return b"".join(response.streaming_content)


@pytest.fixture
def admin_client(client, seed):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    return client


@pytest.mark.parametrize("kind", sorted(LIST_PAGES))
def test_the_seed_export_imports_back_unchanged(admin_client, kind):
    content = export(admin_client, kind)
    report = run(kind, content, dry_run=True)
    assert messages(report) == []
    assert report.new == 0 and report.changed == 0
    assert report.unchanged > 0


@pytest.mark.parametrize("kind", sorted(LIST_PAGES))
def test_the_hxl_export_imports_back_unchanged(admin_client, kind):
    content = export(admin_client, kind, "_export=csv&hxl=1")
    second_line = content.decode().splitlines()[1]
    assert second_line.startswith("#") or second_line.startswith(",")
    assert run(kind, content, dry_run=True).summary.startswith("0 new, 0 changed")


def test_a_real_import_of_the_export_writes_no_history(admin_client):
    before = Meeting.history.count() + Commitment.history.count()
    for kind in ("meeting", "commitment"):
        assert run(kind, export(admin_client, kind)).summary.startswith("0 new, 0 changed")
    assert Meeting.history.count() + Commitment.history.count() == before


def test_an_edited_export_reports_the_change(admin_client):
    content = export(admin_client, "meeting").decode()
    meeting = Meeting.objects.first()
    edited = content.replace(meeting.title, meeting.title + " (edited)", 2).encode()
    report = run("meeting", edited, dry_run=True)
    assert report.summary == f"0 new, 1 changed, {Meeting.objects.count() - 1} unchanged, 0 errors"


def test_the_export_carries_the_import_columns(admin_client):
    header = export(admin_client, "commitment").decode().splitlines()[0].split(",")
    for name in ("id", "title", "made_by", "made_to", "source", "passage"):
        assert name in header
