"""Benchmark: fill a throwaway database at national scale, then time every page.

Run through `make bench`, which points DATABASE_URL at a database of its own.
"""

import statistics
import time
from dataclasses import asdict

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from bench.data import NATIONAL, bulk_create_records
from cooperation import models


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
            sizes = NATIONAL.divided(divide)
            filled = {kind: size for kind, size in asdict(sizes).items() if size}
            self.stdout.write(f"Filling {name} with {filled} …")
            started = time.perf_counter()
            bulk_create_records(sizes=sizes)
            self.stdout.write(f"  filled in {time.perf_counter() - started:.1f} s")
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")

        viewer, _ = get_user_model().objects.get_or_create(username="bench-viewer")
        # Signed in as the staff of the busiest partner, which owns the most records.
        busiest = models.Partner.objects.filter(slug="bulk-partner-0").first()
        if busiest:
            models.Membership.objects.get_or_create(user=viewer, partner=busiest)
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
