"""Ask for a report from the command line, for scripts and cron.

    python manage.py generate_report --period 2022-11
    python manage.py generate_report --period 2022-11 --audience everything --rebuild
    python manage.py generate_report --from 2022-08-18 --to 2022-09-18
    python manage.py generate_report --period 2022-11 --audience organisation --organisation iom
    python manage.py generate_report --partner ministry-of-interior       # whole-record dossier
    python manage.py generate_report --kind brief --partner ministry-of-interior  # its brief
    python manage.py generate_report --period 2022-11 --language km        # in Khmer

It validates through the same form as the web page, so it refuses the same bad input with
the same messages. With a broker configured the build is queued for a worker (add --wait to
wait for it); without one it runs here and now.
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from cooperation.models import Report, ReportStatus
from cooperation.reports.forms import ReportRequestForm
from cooperation.reports.progress import progress_text, report_progress


class Command(BaseCommand):
    help = "Ask for a PDF report for a month, a period or a partner, and build it."

    def add_arguments(self, parser):
        parser.add_argument("--period", metavar="YYYY-MM", help="A month, such as 2022-11.")
        parser.add_argument("--from", dest="period_start", metavar="YYYY-MM-DD")
        parser.add_argument("--to", dest="period_end", metavar="YYYY-MM-DD")
        parser.add_argument("--partner", metavar="SLUG", help="A partner's slug, for its dossier.")
        parser.add_argument(
            "--kind",
            choices=["brief"],
            default="",
            help="brief: the partner's brief, since the last meeting with it (needs --partner).",
        )
        parser.add_argument(
            "--audience", choices=["public", "organisation", "everything"], default="public"
        )
        parser.add_argument(
            "--organisation",
            metavar="SLUG",
            help="With --audience organisation: the partner whose staff the report is for.",
        )
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
            help="The language the report is written in.",
        )
        parser.add_argument(
            "--rebuild", action="store_true", help="Build again even if the report exists."
        )
        parser.add_argument(
            "--wait",
            type=int,
            default=0,
            metavar="SECONDS",
            help="With a broker, wait up to this long for a worker to finish the report.",
        )

    def handle(self, *args, **options):
        form = ReportRequestForm(
            data={
                "month": options["period"] or "",
                "period_start": options["period_start"] or "",
                "period_end": options["period_end"] or "",
                "partner": options["partner"] or "",
                "kind": options["kind"],
                "audience": options["audience"],
                "organisation": options["organisation"] or "",
                "language": options["language"],
                "rebuild": options["rebuild"],
            }
        )
        if not form.is_valid():
            messages = [message for errors in form.errors.values() for message in errors]
            raise CommandError(" ".join(messages))
        report, queued = form.save()
        report.refresh_from_db()  # without a broker the build ran when the request committed
        report = self._wait(report, options["wait"])
        return self._describe(report, queued)

    def _wait(self, report: Report, seconds: int) -> Report:
        """Poll until the report is done or the time is up, saying each new state once."""
        deadline = time.monotonic() + seconds
        said = ""
        while report.status in (ReportStatus.QUEUED, ReportStatus.RUNNING):
            if time.monotonic() >= deadline:
                break
            headline = report_progress(report).headline
            if seconds and headline != said:
                self.stdout.write(headline)
                said = headline
            time.sleep(0.5)
            report.refresh_from_db()
        return report

    def _describe(self, report: Report, queued: bool) -> str:
        if report.status == ReportStatus.FAILED:
            raise CommandError(f"Report #{report.pk} ({report}): {progress_text(report)}")
        if report.status == ReportStatus.READY:
            verb = "Built" if queued else "Already built"
            return (
                f"{verb}: report #{report.pk}, {report}, {report.audience_display}, "
                f"{report.page_count} pages, {report.file.path}"
            )
        verb = "Queued" if queued else "Already in progress"
        return f"{verb}: report #{report.pk}, {report}. {progress_text(report)}"
