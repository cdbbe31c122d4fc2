"""Build one report in this process and print how long it took, its pages and the peak memory.

    python manage.py bench_report_one --settings=bench.settings --month 2020-05 --audience public
    python manage.py bench_report_one --settings=bench.settings --partner bulk-partner-0 \\
        --audience everything

`bench.reports.national_reports_bench` runs it once per report in a fresh process, so that the
peak memory is the building process's own. It writes nothing: no report row, no file.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from bench.reports import report_build_measure
from cooperation.models import Partner, ReportAudience


class Command(BaseCommand):
    help = "Build one monthly report or partner dossier and print its measures as JSON."
    # The caller has run the checks; a worker builds its reports without importing the URLs.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser):
        parser.add_argument("--month", metavar="YYYY-MM", help="A monthly report of this month.")
        parser.add_argument(
            "--partner", metavar="SLUG", help="This partner's whole-record dossier."
        )
        parser.add_argument("--brief", action="store_true", help="The partner's brief instead.")
        parser.add_argument("--audience", choices=ReportAudience.values, default="public")

    def handle(self, *args, **options):
        if bool(options["month"]) == bool(options["partner"]):
            raise CommandError("Give either --month or --partner.")
        partner = None
        if options["partner"]:
            partner = Partner.objects.filter(slug=options["partner"]).first()
            if partner is None:
                raise CommandError(f"There is no partner “{options['partner']}”.")
        measure = report_build_measure(
            month=options["month"],
            partner=partner,
            audience=options["audience"],
            brief=options["brief"],
        )
        self.stdout.write(json.dumps(measure))
