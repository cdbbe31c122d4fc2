"""The seed users see: every fact cited verbatim, key figures right, loading twice harmless."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command

from cooperation import models

pytestmark = pytest.mark.django_db

CITED_MODELS = [
    models.Partner,
    models.Person,
    models.Meeting,
    models.Commitment,
    models.ComplaintCount,
    models.Milestone,
]


def squash(text: str) -> str:
    return " ".join(text.split())


def test_seed_stores_both_documents_in_full(seed):
    from pathlib import Path

    seeds = Path(__file__).resolve().parents[2] / "shared" / "seeds"
    for path in sorted(seeds.glob("*.txt")):
        source = models.Source.objects.get(reference=path.name)
        assert source.text == path.read_text()


def test_every_seed_fact_cites_a_verbatim_passage(seed):
    for model in CITED_MODELS:
        content_type = ContentType.objects.get_for_model(model)
        for record in model.objects.all():
            citations = models.Citation.objects.filter(
                content_type=content_type, object_id=record.pk
            )
            assert citations.exists(), f"{model.__name__} {record} cites no source"
            for citation in citations:
                assert squash(citation.passage) in squash(citation.source.text), citation
    for update in models.CommitmentUpdate.objects.all():
        assert squash(update.passage) in squash(update.source.text)


def test_every_seed_citation_points_at_an_existing_record(seed):
    for citation in models.Citation.objects.select_related("content_type"):
        assert citation.record is not None, citation


def test_seed_passes_every_model_validation(seed):
    for model in CITED_MODELS + [
        models.Source,
        models.Topic,
        models.Citation,
        models.CommitmentUpdate,
    ]:
        for record in model.objects.all():
            record.full_clean()


def test_seed_meeting_with_france_is_dated_with_its_inference(seed):
    meeting = models.Meeting.objects.get(slug="sar-kheng-meets-french-ambassador-jacques-pellet")
    assert meeting.date == datetime.date(2022, 11, 1)
    assert meeting.date_display == "1 Nov 2022, year inferred"
    assert "2023 national election" in meeting.date_note
    assert set(meeting.participants.values_list("slug", flat=True)) == {
        "sar-kheng",
        "jacques-pellet",
    }
    assert meeting.commitments.count() == 3


def test_seed_iom_meeting_date_is_honestly_unknown(seed):
    meeting = models.Meeting.objects.get(
        slug="sar-kheng-meets-iom-asia-pacific-head-sarah-lou-arriola"
    )
    assert meeting.date is None
    assert meeting.date_display == "date unknown"
    assert "late last week" in meeting.date_note


def test_seed_complaint_figures(seed):
    count = models.ComplaintCount.objects.get()
    assert count.count == 289
    assert (count.period_start, count.period_end) == (
        datetime.date(2022, 8, 18),
        datetime.date(2022, 9, 18),
    )
    assert count.verified_share == Decimal("0.950")
    assert count.verified_share_approximate
    assert count.verified_count == 275
    assert count.received_by.slug == "ministry-of-interior"
    assert count.period_display == "18 Aug – 18 Sep 2022, year inferred"
    quote = models.Citation.objects.get(
        quoted_person__slug="sar-kheng", passage__contains="95 per cent"
    )
    assert quote.record == count


def test_seed_commitment_status_matches_its_history(seed):
    for commitment in models.Commitment.objects.all():
        latest = commitment.updates.last()
        assert latest is not None
        assert commitment.status == latest.status


def test_seed_quotes_are_attributed(seed):
    speakers = set(
        models.Citation.objects.filter(quoted_person__isnull=False).values_list(
            "quoted_person__slug", flat=True
        )
    )
    assert speakers == {"sar-kheng", "jacques-pellet", "kheang-phearom", "sarah-lou-arriola"}


def test_loading_the_seed_twice_changes_nothing(seed):
    def snapshot():
        return {
            model.__name__: sorted(model.objects.values_list("pk", flat=True))
            for model in CITED_MODELS + [models.Citation, models.CommitmentUpdate, models.Source]
        }

    before = snapshot()
    history_before = models.Meeting.history.count()
    call_command("loaddata", "fixtures/seed.json", verbosity=0)
    assert snapshot() == before
    assert models.Meeting.history.count() == history_before
