"""Measure each report kind's build time and page count on the seed and on ten times more rows.

    python manage.py bench_reports --settings=bench.settings    # scales 1 and 10, once each
    python manage.py bench_reports --settings=bench.settings --scale 1 --scale 30 --repeat 3

Runs in a transaction that is rolled back; loads the seed first when the database is empty.
"""

from django.core.management.base import BaseCommand

from bench.reports import reports_bench


class Command(BaseCommand):
    help = "Time every report kind and count its pages, on the seed and on 10x rows."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=int, action="append", dest="scales")
        parser.add_argument("--repeat", type=int, default=1)

    def handle(self, *args, **options):
        scales = options["scales"] or [1, 10]
        results = reports_bench(scales=scales, repeat=max(1, options["repeat"]))
        header = f"{'report':52} {'rows':>5} {'records':>8} {'collect s':>10} {'render s':>9} {'pages':>6} {'KiB':>7}"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for m in results:
            self.stdout.write(
                f"{m.label:52} {str(m.scale) + 'x':>5} {m.records:>8} {m.collect_seconds:>10.2f} "
                f"{m.render_seconds:>9.2f} {m.pages:>6} {m.size / 1024:>7.0f}"
            )
