"""What is happening to reports, in the sentences their pages show.

    python manage.py report_status              # every report not ready
    python manage.py report_status 12 13        # these reports, with their technical errors

It exits non-zero when a report it lists has failed, for scripts and monitoring.
"""

from django.core.management.base import BaseCommand, CommandError

from cooperation.models import Report, ReportStatus
from cooperation.reports.progress import progress_text


class Command(BaseCommand):
    help = "Say whether reports are queued, being built, retrying or failed, and why."

    def add_arguments(self, parser):
        parser.add_argument("ids", nargs="*", type=int, metavar="ID", help="Report numbers.")

    def handle(self, *args, **options):
        reports = Report.objects.select_related("partner", "audience_organisation")
        if options["ids"]:
            reports = reports.filter(pk__in=options["ids"])
            missing = set(options["ids"]) - set(reports.values_list("pk", flat=True))
            if missing:
                raise CommandError(f"No report #{', #'.join(map(str, sorted(missing)))}.")
        else:
            reports = reports.exclude(status=ReportStatus.READY)
        failed = 0
        for report in reports.order_by("pk"):
            self.stdout.write(
                f"#{report.pk} {report} ({report.audience_display}): "
                + progress_text(report, technical=bool(options["ids"]))
            )
            failed += report.status == ReportStatus.FAILED
        if not options["ids"] and not reports.exists():
            self.stdout.write("No report is queued, being built or failed.")
        if failed:
            raise CommandError(f"{failed} failed.")
