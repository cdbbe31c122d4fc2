"""Import records from a CSV or XLSX file, all or nothing, or write a kind's XLSX template.

python manage.py import_records meetings.csv --kind meeting --dry-run
python manage.py import_records meetings.xlsx --kind meeting --user alice
python manage.py import_records --template meeting meeting-template.xlsx
"""

import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from cooperation.imports import KINDS, import_file
from cooperation.imports.templates import template_write


class Command(BaseCommand):
    help = "Import records of one kind from a CSV or XLSX file, or write the kind's template."

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV (UTF-8) or XLSX file to import.", nargs="?")
        parser.add_argument("--kind", choices=sorted(KINDS))
        parser.add_argument(
            "--dry-run", action="store_true", help="Check every row and write nothing."
        )
        parser.add_argument("--user", metavar="USERNAME", help="Attribute the history to them.")
        parser.add_argument(
            "--template",
            nargs=2,
            metavar=("KIND", "OUT"),
            help="Write the XLSX template of a kind to OUT instead of importing.",
        )

    def handle(self, *args, **options):
        if options["template"]:
            kind, out = options["template"]
            if kind not in KINDS:
                raise CommandError(f"There is no kind “{kind}”; the kinds are {', '.join(KINDS)}.")
            with open(out, "wb") as stream:
                template_write(KINDS[kind], stream)
            self.stdout.write(f"Template for {kind} written to {out}.")
            return
        if not options["file"] or not options["kind"]:
            raise CommandError("Give a FILE and its --kind (or --template KIND OUT).")
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"There is no user “{options['user']}”.")
        path = options["file"]
        try:
            stream = open(path, "rb")  # noqa: SIM115
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
        with stream:
            report = import_file(
                kind=options["kind"],
                stream=stream,
                size=os.fstat(stream.fileno()).st_size,
                user=user,
                dry_run=options["dry_run"],
            )
        if options["verbosity"] >= 2:
            for number, outcome in report.outcomes:
                self.stdout.write(f"row {number}: {outcome}")
        for error in report.errors:
            self.stderr.write(str(error))
        self.stdout.write(report.summary)
        if report.errors:
            raise CommandError("Nothing was written: fix the errors above and import again.")
        if report.dry_run:
            self.stdout.write("Dry run: nothing was written.")
