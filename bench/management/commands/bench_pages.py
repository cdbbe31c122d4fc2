"""Benchmark: every page on the seed, then at national scale, in one table; then the reports.

For each page and reader: the median server time of a few requests with the page cache off
(`PAGE_CACHE_SECONDS=0`), on the seed and at national scale divided by `--divide`, their
ratio and query counts; then requests per second under gunicorn (cache on, as served), as a
share of a trivial view's on the same stack and as a ratio to the admin changelist of the
same kind of record. Then each report kind at national scale: seconds, peak MB, pages.

Run through `make bench`, which points DATABASE_URL at a database of its own holding the seed.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from bench.data import NATIONAL, bulk_create_records
from bench.load import drive, gunicorn_serving
from cooperation import models
from cooperation.roles import EDITOR

ANONYMOUS, SIGNED_IN = "anonymous", "signed in"
BUSIEST = "bulk-partner-0"


@dataclass(frozen=True)
class Page:
    label: str
    url: str
    changelist: str = ""  # the admin changelist of the same kind of record


@dataclass
class Row:
    page: Page
    who: str
    ms: dict[str, float] = field(default_factory=dict)  # by phase
    queries: dict[str, int] = field(default_factory=dict)
    status: dict[str, int] = field(default_factory=dict)
    rps: float | None = None


def pages(*, national: bool) -> list[Page]:
    """The pages users open most, with a representative record where a page needs one."""

    def admin(model: str) -> str:
        return reverse(f"admin:cooperation_{model}_changelist")

    named = [
        Page("dashboard", reverse("cooperation:dashboard")),
        Page("timeline", reverse("cooperation:timeline")),
        Page("partners", reverse("cooperation:partner-list"), admin("partner")),
        Page("meetings", reverse("cooperation:meeting-list"), admin("meeting")),
        Page("commitments", reverse("cooperation:commitment-list"), admin("commitment")),
        Page("complaints", reverse("cooperation:complaintcount-list"), admin("complaintcount")),
        Page("milestones", reverse("cooperation:milestone-list"), admin("milestone")),
        Page("search", reverse("cooperation:search") + "?q=ministry"),
    ]
    ministry = models.Partner.objects.get(slug="ministry-of-interior")
    named.append(Page("partner profile", ministry.get_absolute_url()))
    busiest = models.Partner.objects.filter(slug=BUSIEST).first()
    if national and busiest:
        named.append(Page("busiest partner", busiest.get_absolute_url()))
    meeting = models.Meeting.objects.order_by("pk").first()
    named.append(Page("meeting", meeting.get_absolute_url()))
    return named


def _server_ms(client: Client, url: str, runs: int) -> tuple[float, int, int]:
    """Median milliseconds, queries and status of `runs` requests (after one not counted)."""
    client.get(url)
    timings = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings), len(queries), response.status_code


def _rps(port: int, path: str, cookie: str, *, clients: int, seconds: float) -> float:
    answers = drive(port, [path], clients=clients, seconds=seconds, cookie=cookie)
    failed = [answer for answer in answers if not 200 <= answer.status < 300]
    if failed:
        raise CommandError(f"{path}: {len(failed)} answers were not 2xx ({failed[0].status}).")
    return len(answers) / seconds


def _ratio(value: float | None, base: float | None) -> str:
    return f"{value / base:.2f}" if value is not None and base else "—"


class Command(BaseCommand):
    help = "Time every page on the seed and at national scale, under load, then the reports."

    def add_arguments(self, parser):
        parser.add_argument("--divide", type=int, default=10, help="Divide national scale by this.")
        parser.add_argument("--runs", type=int, default=5, help="Timed requests per page.")
        parser.add_argument("--seconds", type=float, default=4.0, help="Load per page, seconds.")
        parser.add_argument("--clients", type=int, default=8, help="Concurrent load clients.")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers.")
        parser.add_argument("--no-load", action="store_true", help="Skip requests per second.")
        parser.add_argument("--no-reports", action="store_true", help="Skip the reports.")

    @override_settings(ALLOWED_HOSTS=["testserver"], DEBUG=False, PAGE_CACHE_SECONDS=0)
    def handle(self, *args, divide, **options):
        name = str(connection.settings_dict["NAME"])
        if "bench" not in name:
            raise CommandError(
                f"Refusing to fill {name!r}: use a database whose name contains 'bench'."
            )
        if not models.Partner.objects.filter(slug="ministry-of-interior").exists():
            raise CommandError("Load the seed first (make bench does).")
        self.options = options
        viewer = self.bench_viewer()
        rows: dict[tuple[str, str], Row] = {}
        trivial: dict[str, float | None] = {}
        changelists: dict[str, float] = {}

        self.measure("seed", viewer, rows, trivial, changelists)
        sizes = NATIONAL.divided(divide)
        filled = {kind: size for kind, size in asdict(sizes).items() if size}
        self.stdout.write(f"Filling {name} with {filled} …")
        started = time.perf_counter()
        bulk_create_records(sizes=sizes)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(f"  filled in {time.perf_counter() - started:.1f} s")
        # Signed in as the staff of the busiest partner too, which owns the most records.
        models.Membership.objects.get_or_create(
            user=viewer, partner=models.Partner.objects.get(slug=BUSIEST)
        )
        self.measure("national", viewer, rows, trivial, changelists)
        self.print_pages(rows.values(), trivial, changelists, divide)
        if not options["no_reports"]:
            self.print_reports()

    def bench_viewer(self):
        """A signed-in reader on the ministry's staff, an editor, so the admin opens too."""
        viewer, _ = get_user_model().objects.get_or_create(
            username="bench-viewer", defaults={"is_staff": True}
        )
        viewer.groups.add(Group.objects.get(name=EDITOR))
        ministry = models.Partner.objects.get(slug="ministry-of-interior")
        models.Membership.objects.get_or_create(user=viewer, partner=ministry)
        return viewer

    def measure(self, phase, viewer, rows, trivial, changelists) -> None:
        anonymous, signed_in = Client(), Client()
        signed_in.force_login(viewer)
        clients = {ANONYMOUS: anonymous, SIGNED_IN: signed_in}
        national = phase == "national"
        listed = pages(national=national)
        self.stdout.write(f"Timing {len(listed)} pages on the {phase} data …")
        for page in listed:
            for who, client in clients.items():
                row = rows.setdefault((page.label, who), Row(page, who))
                ms, queries, status = _server_ms(client, page.url, self.options["runs"])
                row.ms[phase], row.queries[phase], row.status[phase] = ms, queries, status
        if not national or self.options["no_load"]:
            return
        cookie = "; ".join(f"{k}={v.value}" for k, v in signed_in.cookies.items())
        cookies = {ANONYMOUS: "", SIGNED_IN: cookie}
        load = {"clients": self.options["clients"], "seconds": self.options["seconds"]}
        self.stdout.write(f"Driving gunicorn, {self.options['workers']} workers …")
        with gunicorn_serving(workers=self.options["workers"]) as port:
            for who in clients:
                trivial[who] = _rps(port, reverse("bench-trivial"), cookies[who], **load)
            for page in listed:
                if page.changelist and page.changelist not in changelists:
                    changelists[page.changelist] = _rps(port, page.changelist, cookie, **load)
                for who in clients:
                    rows[(page.label, who)].rps = _rps(port, page.url, cookies[who], **load)

    def print_pages(self, rows, trivial, changelists, divide) -> None:
        self.stdout.write(
            f"\nPages (server ms with the page cache off; req/s under gunicorn, "
            f"{self.options['workers']} workers, {self.options['clients']} clients, "
            f"cache on; national scale ÷ {divide})"
        )
        header = (
            f"{'page':<17}{'who':<11}{'seed ms':>8}{'national ms':>12}{'ratio':>7}"
            f"{'queries':>9}{'req/s':>8}{'% trivial':>10}{'÷ admin':>9}"
        )
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for who in (ANONYMOUS, SIGNED_IN):
            if trivial.get(who):
                self.stdout.write(
                    f"{'trivial view':<17}{who:<11}{'':>8}{'':>12}{'':>7}{'':>9}"
                    f"{trivial[who]:>8.0f}{100:>9}%{'':>9}"
                )
        for url, rps in changelists.items():
            label = "admin " + url.rstrip("/").rsplit("/", 1)[-1].replace(
                "complaintcount", "complaints"
            )
            self.stdout.write(f"{label:<17}{SIGNED_IN:<11}{'':>46}{rps:>8.0f}")
        for row in rows:
            seed, national = row.ms.get("seed"), row.ms.get("national")
            queries = "/".join(
                str(row.queries[p]) for p in ("seed", "national") if p in row.queries
            )
            bad = {p: s for p, s in row.status.items() if s != 200}
            rps = f"{row.rps:.0f}" if row.rps is not None else "—"
            share = f"{100 * row.rps / trivial[row.who]:.0f}%" if row.rps and trivial else "—"
            self.stdout.write(
                f"{row.page.label:<17}{row.who:<11}{f'{seed:.1f}' if seed else '—':>8}"
                f"{national:>12.1f}{_ratio(national, seed):>7}{queries:>9}{rps:>8}{share:>10}"
                f"{_ratio(row.rps, changelists.get(row.page.changelist)):>9}"
                + (f"  status {bad}" if bad else "")
            )

    def print_reports(self) -> None:
        self.stdout.write(
            "\nReports at national scale (each in a fresh process: seconds to build the PDF, "
            "seconds of the whole process with Django's start, its peak memory)"
        )
        header = f"{'report':<52}{'seconds':>9}{'process s':>11}{'peak MB':>9}{'pages':>7}"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        from bench.reports import national_reports_bench

        for measure in national_reports_bench(busiest=BUSIEST):
            self.stdout.write(
                f"{measure.label:<52}{measure.seconds:>9.2f}{measure.process_seconds:>11.2f}"
                f"{measure.peak_mb:>9.0f}"
                f"{measure.pages:>7}"
            )
