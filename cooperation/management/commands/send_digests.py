"""Send the email digests that are due, or show them without sending.

    python manage.py send_digests                       # the weekly digests
    python manage.py send_digests --frequency daily
    python manage.py send_digests --frequency daily --dry-run

Celery beat runs the same for each frequency (`cooperation.tasks.send_digests`); a run after a
complete one sends nothing, since every digest of the period is claimed (`cooperation.digests`).
A dry run composes each due digest and prints who would get what; it sends nothing and
records nothing.
"""

from django.core.management.base import BaseCommand

from cooperation import digests
from cooperation.models import DigestFrequency


class Command(BaseCommand):
    help = "Send the due email digests of what users follow (or, with --dry-run, show them)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--frequency",
            choices=[DigestFrequency.DAILY, DigestFrequency.WEEKLY],
            default=DigestFrequency.WEEKLY,
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Show who would get what; send nothing."
        )

    def handle(self, *args, frequency, dry_run, **options):
        if dry_run:
            self.show(frequency)
            return
        outcomes = digests.digests_send(frequency=frequency)
        summary = ", ".join(f"{status}: {count}" for status, count in sorted(outcomes.items()))
        self.stdout.write(f"{frequency} digests — {summary}")

    def show(self, frequency: str) -> None:
        shown = 0
        for preview in digests.digests_preview(frequency=frequency):
            user, content = preview.user, preview.content
            address = user.email or "no email address: would fail"
            if content.is_empty:
                self.stdout.write(f"{user.get_username()} <{address}>: nothing to send")
                continue
            shown += 1
            self.stdout.write(f"{user.get_username()} <{address}>: {content.line_count} lines")
            for section in content.sections:
                self.stdout.write(f"  {section.title}")
                for line in section.lines:
                    self.stdout.write(f"    - {line.text}  {line.url}")
                if section.more:
                    self.stdout.write(f"    … and {section.more} more  {section.more_url}")
        self.stdout.write(f"Dry run: {shown} digests would be sent; nothing was sent.")
