"""The report bench measures every kind at each scale and leaves the database as it was."""

import os

import pytest

from bench.reports import reports_bench
from cooperation.models import Citation, Meeting

pytestmark = pytest.mark.django_db


def test_bench_measures_each_kind_at_each_scale_and_rolls_back(seed):
    before = (Meeting.objects.count(), Citation.objects.count())

    results = reports_bench(scales=[1, 2])

    assert [(m.label.split()[0], m.scale) for m in results] == [
        ("monthly", 1),
        ("period", 1),
        ("dossier", 1),
        ("brief", 1),
        ("monthly", 2),
        ("period", 2),
        ("dossier", 2),
        ("brief", 2),
    ]
    assert all(m.pages > 0 and m.render_seconds > 0 for m in results)
    assert results[4].records > results[0].records
    assert (Meeting.objects.count(), Citation.objects.count()) == before


@pytest.mark.django_db(
    transaction=True
)  # the builds run in other processes: they must see the seed
def test_national_bench_builds_each_report_in_a_process_of_its_own(seed, monkeypatch):
    from django.db import connection

    from bench.reports import national_reports_bench
    from cooperation.models import Report

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("the builds reach the test database through DATABASE_URL")
    monkeypatch.setenv(
        "DATABASE_URL", url.rsplit("/", 1)[0] + "/" + connection.settings_dict["NAME"]
    )

    results = national_reports_bench(month="2022-11", busiest="ministry-of-interior")

    assert [(m.kind, m.label) for m in results] == [
        ("monthly", "monthly 2022-11, public"),
        ("monthly", "monthly 2022-11, internal"),
        ("dossier", "dossier ministry-of-interior, whole record, internal"),
        ("brief", "brief ministry-of-interior, since the last meeting, internal"),
    ]
    assert all(m.pages > 0 and 0 < m.seconds < m.process_seconds for m in results)
    assert all(m.pages > 5 for m in results if m.kind != "brief")
    assert all(50 < m.peak_mb < 2000 for m in results)
    assert not Report.objects.exists()
