"""Benchmark: fill a throwaway database at national scale, then time every page.

Run through `make bench`, which points DATABASE_URL at a database of its own.
"""

import datetime
import random
import statistics
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from cooperation import models

# National scale from the product card, divided by --divide for quicker runs.
NATIONAL = {
    "partners": 1_000,
    "meetings": 100_000,
    "commitments": 200_000,
    "complaint_counts": 1_000_000,
}
BATCH = 5_000


def _batched_create(model, rows):
    for start in range(0, len(rows), BATCH):
        model.objects.bulk_create(rows[start : start + BATCH])


@transaction.atomic
def fill(*, partners: int, meetings: int, commitments: int, complaint_counts: int) -> None:
    """Add synthetic, clearly named rows; half internal, dates spread over ten years."""
    rng = random.Random(20221101)
    kinds = [choice for choice, _ in models.PartnerKind.choices]
    first_day = datetime.date(2015, 1, 1)
    topic_ids = [
        models.Topic.objects.get_or_create(
            slug=f"bench-topic-{n}", defaults={"name": f"Bench topic {n}"}
        )[0].pk
        for n in range(20)
    ]
    _batched_create(
        models.Partner,
        [
            models.Partner(
                name=f"Bench partner {n}",
                slug=f"bench-partner-{n}",
                kind=rng.choice(kinds),
                country=rng.choice(["KH", "FR", "TH", "VN", ""]),
                visibility=rng.choice(["public", "internal"]),
            )
            for n in range(partners)
        ],
    )
    partner_ids = list(
        models.Partner.objects.filter(slug__startswith="bench-partner-").values_list(
            "pk", flat=True
        )
    )

    def day():
        return first_day + datetime.timedelta(days=rng.randrange(3650))

    _batched_create(
        models.Meeting,
        [
            models.Meeting(
                title=f"Bench meeting {n}",
                slug=f"bench-meeting-{n}",
                date=day(),
                summary="Synthetic meeting for benchmarks.",
                visibility=rng.choice(["public", "internal"]),
            )
            for n in range(meetings)
        ],
    )
    meeting_ids = list(
        models.Meeting.objects.filter(slug__startswith="bench-meeting-").values_list(
            "pk", flat=True
        )
    )
    _batched_create(
        models.Meeting.partners.through,
        [
            models.Meeting.partners.through(meeting_id=meeting_id, partner_id=partner_id)
            for meeting_id in meeting_ids
            for partner_id in rng.sample(partner_ids, 2)
        ],
    )
    _batched_create(
        models.Meeting.topics.through,
        [
            models.Meeting.topics.through(meeting_id=meeting_id, topic_id=rng.choice(topic_ids))
            for meeting_id in meeting_ids
        ],
    )
    statuses = [choice for choice, _ in models.CommitmentStatus.choices]
    _batched_create(
        models.Commitment,
        [
            models.Commitment(
                title=f"Bench commitment {n}",
                made_by_id=rng.choice(partner_ids),
                meeting_id=rng.choice(meeting_ids),
                date=day(),
                status=rng.choice(statuses),
                target_date=day() if n % 3 == 0 else None,
                visibility=rng.choice(["public", "internal"]),
            )
            for n in range(commitments)
        ],
    )
    rows = []
    for _ in range(complaint_counts):
        start = day()
        rows.append(
            models.ComplaintCount(
                received_by_id=rng.choice(partner_ids),
                period_start=start,
                period_end=start + datetime.timedelta(days=30),
                count=rng.randrange(500),
                verified_share=rng.choice([None, "0.500", "0.950"]),
                visibility=rng.choice(["public", "internal"]),
            )
        )
    _batched_create(models.ComplaintCount, rows)


def pages() -> list[tuple[str, str]]:
    """The pages users open most, with a representative object where a page needs one."""
    named = [
        ("dashboard", reverse("cooperation:dashboard")),
        ("timeline", reverse("cooperation:timeline")),
        ("partners", reverse("cooperation:partner-list")),
        ("meetings", reverse("cooperation:meeting-list")),
        ("commitments", reverse("cooperation:commitment-list")),
        ("complaints", reverse("cooperation:complaintcount-list")),
        ("milestones", reverse("cooperation:milestone-list")),
        ("search", reverse("cooperation:search") + "?q=ministry"),
    ]
    partner = models.Partner.objects.filter(slug="ministry-of-interior").first()
    partner = partner or models.Partner.objects.order_by("pk").first()
    if partner:
        named.append(("partner profile", partner.get_absolute_url()))
    meeting = models.Meeting.objects.order_by("pk").first()
    if meeting:
        named.append(("meeting", meeting.get_absolute_url()))
    return named


class Command(BaseCommand):
    help = "Fill this (throwaway) database at national scale and time every page."

    def add_arguments(self, parser):
        parser.add_argument("--divide", type=int, default=10, help="Divide national scale by this.")
        parser.add_argument("--runs", type=int, default=5)
        parser.add_argument("--no-fill", action="store_true", help="Time the data already there.")

    @override_settings(ALLOWED_HOSTS=["testserver"], DEBUG=False)
    def handle(self, *args, divide, runs, no_fill, **options):
        name = str(connection.settings_dict["NAME"])
        if "bench" not in name:
            raise CommandError(
                f"Refusing to fill {name!r}: use a database whose name contains 'bench'."
            )
        if not no_fill:
            sizes = {key: max(1, value // divide) for key, value in NATIONAL.items()}
            self.stdout.write(f"Filling {name} with {sizes} …")
            started = time.perf_counter()
            fill(**sizes)
            self.stdout.write(f"  filled in {time.perf_counter() - started:.1f} s")
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")

        viewer, _ = get_user_model().objects.get_or_create(username="bench-viewer")
        anonymous, signed_in = Client(), Client()
        signed_in.force_login(viewer)
        self.stdout.write(
            f"{'page':<18}{'who':<11}{'median ms':>10}{'max ms':>9}{'queries':>9}  status"
        )
        for label, url in pages():
            for who, client in (("anonymous", anonymous), ("signed in", signed_in)):
                timings = []
                for _ in range(runs):
                    reset_queries()
                    with CaptureQueriesContext(connection) as queries:
                        started = time.perf_counter()
                        response = client.get(url)
                        timings.append((time.perf_counter() - started) * 1000)
                self.stdout.write(
                    f"{label:<18}{who:<11}{statistics.median(timings):>10.1f}{max(timings):>9.1f}"
                    f"{len(queries):>9}  {response.status_code}"
                )
