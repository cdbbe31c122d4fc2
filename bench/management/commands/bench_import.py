"""Import 10k meetings and 50k complaint counts (national scale, divided by --divide), as files,
and print each import's seconds and its peak memory, each in a process of its own (as
`bench_report_one` is); everything is rolled back (each file is a dry run).

    python manage.py bench_import --settings=bench.settings --divide 1
"""

import csv
import io
import os
import resource
import subprocess
import sys
import time

from django.core.management.base import BaseCommand

from cooperation.imports import import_file
from cooperation.models import Partner, Source

PASSAGE_TEXT = "Figures for the period were reported to the ministry."


def _file(rows) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


def meetings_file(count: int, partner: str) -> bytes:
    header = ["slug", "title", "summary", "partners", "date", "source", "passage"]
    return _file(
        [header]
        + [
            [
                f"bench-meeting-{n}",
                f"Meeting {n}",
                "Talks.",
                partner,
                f"{2000 + n % 25}-{n % 12 + 1:02d}-01",
                "bench-source",
                PASSAGE_TEXT,
            ]
            for n in range(count)
        ]
    )


def counts_file(count: int, partner: str) -> bytes:
    header = ["received_by", "period_start", "period_end", "count", "source", "passage"]
    return _file(
        [header]
        + [
            [
                partner,
                f"{1000 + n // 12:04d}-{n % 12 + 1:02d}-01",
                f"{1000 + n // 12:04d}-{n % 12 + 1:02d}-28",
                str(n % 500),
                "bench-source",
                PASSAGE_TEXT,
            ]
            for n in range(count)
        ]
    )


class Command(BaseCommand):
    help = "Time the import of 10k meetings and 50k complaint counts (dry runs)."

    def add_arguments(self, parser):
        parser.add_argument("--meetings", type=int, default=10_000)
        parser.add_argument("--counts", type=int, default=50_000)
        parser.add_argument("--only", choices=["meeting", "complaintcount"])
        parser.add_argument("--divide", type=int, default=1, help="Divide both row counts by this.")

    def handle(self, *args, **options):
        if options["only"] is None:
            for rows in ("meetings", "counts"):
                options[rows] = max(1, options[rows] // max(1, options["divide"]))
            self.stdout.write(f"{'import':<20}{'rows':>8}{'seconds':>9}{'rows/s':>9}{'peak MB':>9}")
            for kind in ("meeting", "complaintcount"):
                command = [
                    sys.executable,
                    "manage.py",
                    "bench_import",
                    "--only",
                    kind,
                    "--meetings",
                    str(options["meetings"]),
                    "--counts",
                    str(options["counts"]),
                    f"--settings={os.environ.get('DJANGO_SETTINGS_MODULE', 'bench.settings')}",
                ]
                self.stdout.write(
                    subprocess.run(
                        command, check=True, capture_output=True, text=True
                    ).stdout.rstrip()
                )
            return
        partner = Partner.objects.order_by("pk").first()
        Source.objects.get_or_create(
            reference="bench-source", defaults={"title": "Bench", "text": PASSAGE_TEXT}
        )
        kind = options["only"]
        if kind == "meeting":
            label, content = "meetings", meetings_file(options["meetings"], partner.slug)
        else:
            label, content = "complaint counts", counts_file(options["counts"], partner.slug)
        started = time.perf_counter()
        report = import_file(kind=kind, stream=io.BytesIO(content), dry_run=True)
        seconds = time.perf_counter() - started
        rows = report.new + report.changed + report.unchanged
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.stdout.write(
            f"{label:<20}{rows:>8}{seconds:>9.1f}{rows / seconds:>9.0f}{peak:>9.0f}"
            + (f"  {len(report.errors)} errors: {report.errors[0]}" if report.errors else "")
        )
