"""Load benchmark: gunicorn on loopback, a bounded number of concurrent clients for a
bounded time, against the dashboard, the timeline, a partner profile and a table page.

Reports requests per second, latency percentiles and the count of non-2xx answers; exits
non-zero when any answer was not 2xx. A benchmark to run by hand (`make bench-load`), not a
timed test. It uses the configured database; an empty one gets the seed data first.
"""

import statistics
from collections import Counter

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from bench.load import drive, gunicorn_serving
from cooperation.models import Partner


def percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


class Command(BaseCommand):
    help = "Drive gunicorn on 127.0.0.1 with concurrent clients; report RPS and latencies."

    def add_arguments(self, parser):
        parser.add_argument("--duration", type=float, default=20.0, help="Seconds of load.")
        parser.add_argument("--concurrency", type=int, default=8, help="Concurrent clients.")
        parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes.")
        parser.add_argument("--threads", type=int, default=2, help="Threads per gunicorn worker.")
        parser.add_argument("--warmup", type=float, default=2.0, help="Seconds not counted.")
        parser.add_argument(
            "--path", action="append", default=[], help="Extra path to drive (repeatable)."
        )

    def handle(self, *args, **options):
        if options["concurrency"] < 1 or options["duration"] <= 0:
            raise CommandError("--concurrency must be at least 1 and --duration above 0.")
        if not Partner.objects.public().exists():
            self.stdout.write("The database has no public partner: loading fixtures/seed.json.")
            call_command("loaddata", "fixtures/seed.json", verbosity=0)
        partner = Partner.objects.public().order_by("pk").first()
        paths = [
            reverse("cooperation:dashboard"),
            reverse("cooperation:timeline"),
            partner.get_absolute_url(),
            reverse("cooperation:meeting-list"),
            *options["path"],
        ]
        self.stdout.write(
            f"gunicorn on 127.0.0.1, {options['workers']} workers × {options['threads']} threads"
        )
        try:
            with gunicorn_serving(workers=options["workers"], threads=options["threads"]) as port:
                answers = drive(
                    port,
                    paths,
                    clients=options["concurrency"],
                    seconds=options["duration"],
                    warmup=options["warmup"],
                )
        except RuntimeError as error:
            raise CommandError(str(error)) from None
        failures = self.report(answers, options)
        if failures:
            raise CommandError(f"{failures} answers were not 2xx.")

    def report(self, answers, options) -> int:
        duration = options["duration"]
        statuses = Counter(answer.status for answer in answers)
        failures = sum(count for status, count in statuses.items() if not 200 <= status < 300)
        ms = sorted(answer.seconds * 1000 for answer in answers)
        self.stdout.write(
            f"\n{len(answers)} requests in {duration:.0f}s with {options['concurrency']} "
            f"clients: {len(answers) / duration:.1f} requests/s"
        )
        if ms:
            self.stdout.write(
                "latency ms: "
                f"p50 {percentile(ms, 0.50):.1f}  p90 {percentile(ms, 0.90):.1f}  "
                f"p95 {percentile(ms, 0.95):.1f}  p99 {percentile(ms, 0.99):.1f}  "
                f"max {ms[-1]:.1f}  mean {statistics.fmean(ms):.1f}"
            )
        self.stdout.write(
            f"non-2xx answers: {failures}  (statuses: {dict(sorted(statuses.items()))})"
        )
        per_path: dict[str, list] = {}
        for answer in answers:
            per_path.setdefault(answer.path, []).append(answer)
        for path, rows in per_path.items():
            times = sorted(answer.seconds * 1000 for answer in rows)
            bad = sum(1 for answer in rows if not 200 <= answer.status < 300)
            self.stdout.write(
                f"  {path:<40} {len(rows):>6} req  p50 {percentile(times, 0.5):7.1f} ms  "
                f"p95 {percentile(times, 0.95):7.1f} ms  non-2xx {bad}"
            )
        return failures
