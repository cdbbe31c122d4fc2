"""How long each report kind takes to build, and how many pages it has, on the seed and on
ten times more rows. Everything happens in a transaction that is rolled back: the database is
left as it was. `python manage.py bench_reports --settings=bench.settings` prints the table.

`national_reports_bench` measures the reports the issue's target names on a database filled at
national scale: the monthly report, public and internal, and the busiest partner's dossier,
each built in a fresh process (`bench_report_one`) so that its peak memory is its own.
"""

import datetime
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone, translation

from bench.data import SEED, bulk_create_records
from cooperation.models import (
    Citation,
    Commitment,
    CommitmentUpdate,
    ComplaintCount,
    Meeting,
    Milestone,
    Partner,
    ReportAudience,
)
from cooperation.reports.collect import Subject, report_data_collect, whole_record_start
from cooperation.reports.periods import Period, month_parse
from cooperation.reports.rendering import report_pdf_render
from cooperation.reports.summary import data_hash
from cooperation.selectors.brief import last_meeting_get
from cooperation.visibility import audience_viewer

DOSSIER_PARTNER = "ministry-of-interior"
# What one report may take at national scale, built in a process of its own (issue 10).
NATIONAL_SECONDS = 5.0
NATIONAL_PEAK_MB = 500.0


@dataclass
class Measure:
    label: str
    scale: int
    records: int
    collect_seconds: float
    render_seconds: float
    pages: int
    size: int


class _Rollback(Exception):
    pass


def _cases(today: datetime.date) -> list[tuple[str, str, Subject]]:
    partner = Partner.objects.filter(slug=DOSSIER_PARTNER).first() or Partner.objects.first()
    cases = [
        (
            "monthly 2022-11, public",
            "monthly",
            Subject(period=month_parse("2022-11"), audience=ReportAudience.PUBLIC),
        ),
        (
            "period 2022-08-18 – 2022-11-30, internal",
            "period",
            Subject(
                period=Period(datetime.date(2022, 8, 18), datetime.date(2022, 11, 30)),
                audience=ReportAudience.EVERYTHING,
            ),
        ),
    ]
    if partner is not None:
        start = whole_record_start(partner=partner, audience=ReportAudience.EVERYTHING, as_of=today)
        cases.append(
            (
                f"dossier {partner.slug}, whole record, internal",
                "dossier",
                Subject(
                    period=Period(start, today),
                    audience=ReportAudience.EVERYTHING,
                    partner=partner,
                    whole_record=True,
                ),
            )
        )
        cases.append((f"brief {partner.slug}, internal", "brief", _brief_subject(partner, today)))
    return cases


def _brief_subject(partner: Partner, today: datetime.date) -> Subject:
    """A partner brief as `services.report_request_brief` asks for it, for everything."""
    meeting = last_meeting_get(
        viewer=audience_viewer(ReportAudience.EVERYTHING), partner=partner, today=today
    )
    start = meeting.date if meeting and meeting.date else today
    return Subject(
        period=Period(start, today),
        audience=ReportAudience.EVERYTHING,
        partner=partner,
        brief=True,
    )


def _record_count() -> int:
    return sum(
        model.objects.count()
        for model in (Meeting, Commitment, CommitmentUpdate, ComplaintCount, Milestone, Citation)
    )


def _measure(label: str, kind: str, subject: Subject, scale: int, repeat: int) -> Measure:
    collect_times, render_times = [], []
    for _ in range(repeat):
        started = time.perf_counter()
        data = report_data_collect(subject=subject)
        collected = time.perf_counter()
        rendered = report_pdf_render(kind=kind, data=data, digest=data_hash(data))
        collect_times.append(collected - started)
        render_times.append(time.perf_counter() - collected)
    return Measure(
        label=label,
        scale=scale,
        records=_record_count(),
        collect_seconds=statistics.median(collect_times),
        render_seconds=statistics.median(render_times),
        pages=rendered.page_count,
        size=len(rendered.content),
    )


def seed_like_add(*, copies: int) -> None:
    """Add `copies` times the seed's records, dated, linked and shown like the seed's own, so
    that the measured periods and partner grow with them."""
    partner_ids = [
        *Meeting.partners.through.objects.values_list("partner_id", flat=True),
        *Commitment.objects.values_list("made_by_id", flat=True),
        *ComplaintCount.objects.values_list("received_by_id", flat=True),
        *Milestone.partners.through.objects.values_list("partner_id", flat=True),
    ]
    dated = (Meeting, Commitment, Milestone)
    bulk_create_records(
        sizes=replace(SEED, topics=0, partners=0, units=0).times(copies),
        partner_ids=partner_ids,
        dates=[d for model in dated for d in model.objects.values_list("date", flat=True)],
        visibilities=[
            v for model in dated for v in model.objects.values_list("visibility", flat=True)
        ],
    )


def reports_bench(*, scales=(1, 10), repeat: int = 1, load_seed: bool = True) -> list[Measure]:
    """Measure every report kind at each scale; the database is rolled back afterwards."""
    today = timezone.localdate()
    results: list[Measure] = []
    try:
        with transaction.atomic():
            if load_seed and not Partner.objects.exists():
                call_command("loaddata", "fixtures/seed.json", verbosity=0)
            current = 1
            for scale in sorted(scales):
                if scale > current:
                    # From `current` times the seed's rows to `scale` times.
                    if current != 1:
                        raise ValueError("Scale up from the seed only (1 → N).")
                    seed_like_add(copies=scale - 1)
                    current = scale
                for label, kind, subject in _cases(today):
                    results.append(_measure(label, kind, subject, scale, repeat))
            raise _Rollback
    except _Rollback:
        pass
    return results


@dataclass
class ReportMeasure:
    """One report built in a process of its own: how long the build took (from reading the
    records to the PDF's bytes, as a worker logs it), the process's peak memory, and its
    wall time from start to exit, Python's and Django's start included."""

    kind: str
    label: str
    seconds: float
    peak_mb: float
    pages: int
    process_seconds: float = 0.0

    @property
    def within_target(self) -> bool:
        return self.seconds <= NATIONAL_SECONDS and self.peak_mb <= NATIONAL_PEAK_MB


def report_build_measure(
    *, month: str | None, partner: Partner | None, audience: str, brief: bool = False
) -> dict:
    """Build a monthly report (or a partner's whole-record dossier, or its brief) as the
    worker does, without storing it; its seconds, pages, size and this process's peak memory
    so far."""
    started = time.perf_counter()
    today = timezone.localdate()
    with translation.override(settings.LANGUAGE_CODE):
        if partner is not None and brief:
            subject = replace(_brief_subject(partner, today), audience=audience)
            kind = "brief"
        elif partner is not None:
            start = whole_record_start(partner=partner, audience=audience, as_of=today)
            subject = Subject(
                period=Period(start, today), audience=audience, partner=partner, whole_record=True
            )
            kind = "dossier"
        else:
            subject = Subject(period=month_parse(month or ""), audience=audience)
            kind = "monthly"
        data = report_data_collect(subject=subject, today=today)
        rendered = report_pdf_render(kind=kind, data=data, digest=data_hash(data))
    return {
        "kind": kind,
        "seconds": time.perf_counter() - started,
        "pages": rendered.page_count,
        "size": len(rendered.content),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _build_in_own_process(arguments: list[str]) -> tuple[dict, float]:
    """Run `bench_report_one` in a fresh process with this one's environment and settings;
    its printed measures and the process's wall time, from start to exit."""
    settings_module = os.environ.get("DJANGO_SETTINGS_MODULE", "bench.settings")
    if not apps.is_installed("bench"):
        settings_module = "bench.settings"  # the command lives in the bench app
    command = [
        sys.executable,
        str(Path(settings.BASE_DIR) / "manage.py"),
        "bench_report_one",
        f"--settings={settings_module}",
        *arguments,
    ]
    started = time.perf_counter()
    done = subprocess.run(
        command, capture_output=True, text=True, env=os.environ.copy(), cwd=settings.BASE_DIR
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(arguments)} failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]), seconds


def national_reports_bench(
    *, month: str = "2020-05", busiest: str = "bulk-partner-0"
) -> list[ReportMeasure]:
    """The monthly report of `month`, public and internal, and the whole-record dossier of
    the partner `busiest`, each built in a fresh process against the database DATABASE_URL
    names; nothing is stored."""
    cases = [
        ("monthly", f"monthly {month}, public", ["--month", month, "--audience", "public"]),
        (
            "monthly",
            f"monthly {month}, internal",
            ["--month", month, "--audience", ReportAudience.EVERYTHING],
        ),
        (
            "dossier",
            f"dossier {busiest}, whole record, internal",
            ["--partner", busiest, "--audience", ReportAudience.EVERYTHING],
        ),
        (
            "brief",
            f"brief {busiest}, since the last meeting, internal",
            ["--partner", busiest, "--brief", "--audience", ReportAudience.EVERYTHING],
        ),
    ]
    results = []
    for kind, label, arguments in cases:
        measure, seconds = _build_in_own_process(arguments)
        results.append(
            ReportMeasure(
                kind=kind,
                label=label,
                seconds=measure["seconds"],
                peak_mb=measure["peak_mb"],
                pages=measure["pages"],
                process_seconds=seconds,
            )
        )
    return results
