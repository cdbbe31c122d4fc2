"""The report bench measures every kind at each scale and leaves the database as it was."""

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
        ("monthly", 2),
        ("period", 2),
        ("dossier", 2),
    ]
    assert all(m.pages > 0 and m.render_seconds > 0 for m in results)
    assert results[3].records > results[0].records
    assert (Meeting.objects.count(), Citation.objects.count()) == before
