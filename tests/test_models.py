"""Rules live in the database: a bad value is refused, names its field, and changes nothing."""

import datetime
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction

from cooperation import models, services
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("fields", "field_named"),
    [
        ({"count": -1}, "count"),
        ({"period_end": datetime.date(2022, 8, 1)}, "Period end"),
        ({"verified_share": Decimal("1.5")}, "Share found true"),
        ({"verified_share": Decimal("-0.1")}, "Share found true"),
    ],
)
def test_complaint_count_rules_are_refused_with_the_field_named(fields, field_named):
    partner = factories.PartnerFactory()
    count = models.ComplaintCount(
        received_by=partner,
        period_start=datetime.date(2022, 8, 18),
        period_end=datetime.date(2022, 9, 18),
        count=10,
    )
    for name, value in fields.items():
        setattr(count, name, value)
    with pytest.raises(ValidationError) as error:
        count.full_clean()
    assert field_named in str(error.value)


@pytest.mark.parametrize(
    "fields",
    [
        {"count": -1},
        {"period_end": datetime.date(2022, 8, 1)},
        {"verified_share": Decimal("1.5")},
    ],
)
def test_database_refuses_broken_complaint_counts_even_without_validation(fields):
    partner = factories.PartnerFactory()
    values = {
        "received_by": partner,
        "period_start": datetime.date(2022, 8, 18),
        "period_end": datetime.date(2022, 9, 18),
        "count": 10,
    } | fields
    with pytest.raises(IntegrityError), transaction.atomic():
        models.ComplaintCount.objects.create(**values)
    assert models.ComplaintCount.objects.count() == 0


def test_duplicate_partner_slug_is_refused():
    factories.PartnerFactory(slug="ministry")
    duplicate = models.Partner(name="Another", slug="ministry", kind=models.PartnerKind.MINISTRY)
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean()
    assert "slug" in error.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_date_and_precision_must_agree():
    partner = factories.PartnerFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        models.Meeting.objects.create(
            title="Undated", slug="undated", date=None, date_precision="day", summary="-"
        )
    meeting = models.Meeting.objects.create(
        title="Undated", slug="undated", date=None, date_precision="unknown", summary="-"
    )
    meeting.partners.add(partner)
    assert meeting.date_display == "date unknown"


def test_citation_passage_must_appear_in_its_source():
    source = factories.SourceFactory(text="The minister met the ambassador on November 1.")
    meeting = factories.MeetingFactory()
    citation = models.Citation(source=source, passage="The minister met the king", record=meeting)
    with pytest.raises(ValidationError) as error:
        citation.full_clean()
    assert "passage" in error.value.message_dict
    citation.passage = "The minister met the ambassador"
    citation.full_clean()


def test_deleting_a_cited_source_is_refused():
    citation = factories.CitationFactory()
    with pytest.raises(models.models.ProtectedError):
        citation.source.delete()
    assert models.Citation.objects.filter(pk=citation.pk).exists()


def test_commitment_status_follows_its_latest_update():
    source = factories.SourceFactory(text="Work began. Work was finished.")
    commitment = factories.CommitmentFactory()
    for date, status, passage in [
        (datetime.date(2022, 11, 2), models.CommitmentStatus.IN_PROGRESS, "Work began."),
        (datetime.date(2023, 1, 5), models.CommitmentStatus.FULFILLED, "Work was finished."),
    ]:
        services.commitment_add_update(
            commitment=commitment, date=date, status=status, source=source, passage=passage
        )
        assert commitment.status == status
    commitment.refresh_from_db()
    assert commitment.status == models.CommitmentStatus.FULFILLED
    assert list(commitment.updates.values_list("status", flat=True)) == ["in_progress", "fulfilled"]


def test_overdue_means_past_target_and_not_fulfilled():
    today = datetime.date(2024, 1, 1)
    late = factories.CommitmentFactory(target_date=datetime.date(2023, 6, 1))
    factories.CommitmentFactory(
        target_date=datetime.date(2023, 6, 1), status=models.CommitmentStatus.FULFILLED
    )
    factories.CommitmentFactory(target_date=datetime.date(2024, 6, 1))
    assert list(models.Commitment.objects.overdue(today)) == [late]
    assert late.is_overdue(today)


def test_visible_to_hides_internal_records_from_anonymous_users(viewer):
    from django.contrib.auth.models import AnonymousUser

    factories.MeetingFactory(title="Open", visibility=models.Visibility.PUBLIC)
    factories.MeetingFactory(title="Closed", visibility=models.Visibility.INTERNAL)
    anonymous = models.Meeting.objects.visible_to(AnonymousUser()).values_list("title", flat=True)
    assert list(anonymous) == ["Open"]
    assert models.Meeting.objects.visible_to(viewer).count() == 2


@pytest.mark.parametrize(
    ("field", "bad_value", "field_named"),
    [("count", -5, "count"), ("verified_share", "1.5", "verified_share")],
)
def test_a_broken_fixture_is_refused_and_changes_nothing(
    tmp_path, seed, field, bad_value, field_named
):
    records = json.loads(open("fixtures/seed.json").read())
    complaint = next(r for r in records if r["model"] == "cooperation.complaintcount")
    complaint["fields"][field] = bad_value
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(records))
    before = models.ComplaintCount.objects.get()
    with pytest.raises((CommandError, IntegrityError)):
        with transaction.atomic():
            call_command("loaddata", str(broken), verbosity=0)
    after = models.ComplaintCount.objects.get()
    assert (after.count, after.verified_share) == (before.count, before.verified_share)


def test_involving_finds_commitments_made_or_received_by_a_partner():
    partner = factories.PartnerFactory()
    made = factories.CommitmentFactory(made_by=partner)
    received = factories.CommitmentFactory()
    received.made_to.add(partner)
    factories.CommitmentFactory()
    assert set(models.Commitment.objects.involving(partner)) == {made, received}
