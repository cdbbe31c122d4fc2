"""The migration to sharing by organisation keeps what existed: every record gets an owner,
internal records stay internal to it, reports built for signed-in users become reports of
everything, and the migration says what it did."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("cooperation", "0007_source_visibility_help_text")]
AFTER = [("cooperation", "0010_owner_and_audience_constraints")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_records_are_owned_by_the_ministry_and_internal_reports_cover_everything(
    capsys,
):
    old = migrate(BEFORE)
    try:
        partner = old.get_model("cooperation", "Partner")
        ministry = partner.objects.create(
            name="Ministry of Interior", slug="ministry-of-interior", kind="ministry"
        )
        partner.objects.create(name="IOM", slug="iom", kind="igo", visibility="internal")
        old.get_model("cooperation", "Meeting").objects.create(
            title="Closed talks", slug="closed-talks", summary="s", visibility="internal",
            date=datetime.date(2022, 11, 1),
        )  # fmt: skip
        old.get_model("cooperation", "Report").objects.create(
            kind="monthly", period_start=datetime.date(2022, 11, 1),
            period_end=datetime.date(2022, 11, 30), audience="internal",
        )  # fmt: skip
        new = migrate(AFTER)
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
    said = capsys.readouterr().out
    meeting = new.get_model("cooperation", "Meeting").objects.get()
    assert (meeting.owner_id, meeting.visibility) == (ministry.pk, "internal")
    owners = set(new.get_model("cooperation", "Partner").objects.values_list("owner_id", flat=True))
    assert owners == {ministry.pk}
    assert new.get_model("cooperation", "Report").objects.get().audience == "everything"
    assert "2 partner records now owned by Ministry of Interior (1 internal)" in said
    assert "1 meeting records now owned by Ministry of Interior (1 internal)" in said
    assert "1 internal reports are now reports of everything" in said
