"""Search: ranked full text on PostgreSQL, grouped by kind, visible records only."""

import importlib

import pytest
from django.db import connection

from cooperation.models import Visibility
from cooperation.search import SEARCHED, search, searched_fields
from tests import factories

pytestmark = pytest.mark.django_db


def test_search_groups_results_by_kind(client, seed):
    body = client.get("/search/?q=Pellet").content.decode()
    assert "Meetings" in body and "People" in body
    assert "Sar Kheng meets French ambassador Jacques Pellet" in body


@pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search is PostgreSQL's")
def test_full_text_search_stems_and_ranks(db):
    from django.contrib.auth.models import AnonymousUser

    factories.MeetingFactory(title="Talks on trafficking", summary="Nothing else.")
    factories.MeetingFactory(
        title="Other talks", summary="Someone mentioned trafficked people once."
    )
    groups = search(user=AnonymousUser(), query="traffick")
    meetings = next(g for g in groups if g.key == "meetings").results
    assert [m.title for m in meetings] == ["Talks on trafficking", "Other talks"]


def test_search_never_returns_internal_records_to_anonymous(client, db):
    factories.MeetingFactory(title="Secret briefing", visibility=Visibility.INTERNAL)
    factories.SourceFactory(title="Secret cable", visibility=Visibility.INTERNAL)
    body = client.get("/search/?q=secret").content.decode()
    assert "Secret briefing" not in body and "Secret cable" not in body


def test_signed_in_users_find_internal_records(viewer_client, db):
    factories.MeetingFactory(title="Secret briefing", visibility=Visibility.INTERNAL)
    assert "Secret briefing" in viewer_client.get("/search/?q=secret briefing").content.decode()


@pytest.mark.parametrize("q", ["", "   ", "\x00", "a" * 500, "'\"();--", "!!! & | :*", "🙂 ṩ̃"])
def test_odd_queries_never_fail(client, db, q):
    assert client.get("/search/", {"q": q}).status_code == 200


def test_search_matches_the_documents_migration_0005_indexes():
    """Search uses its GIN index only while it matches on exactly the indexed expression."""
    migration = importlib.import_module(
        "cooperation.migrations.0005_complaint_latest_and_search_indexes"
    )
    by_model = {key: searched_fields(weighted) for key, _label, _visible, weighted in SEARCHED}
    indexed = {
        "partners": "partner",
        "people": "person",
        "meetings": "meeting",
        "commitments": "commitment",
        "milestones": "milestone",
    }
    for key, model_name in indexed.items():
        assert by_model[key] == migration.SEARCHED_FIELDS[model_name], key
    assert set(migration.SEARCHED_FIELDS) == set(indexed.values())
