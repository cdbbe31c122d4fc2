"""The generate_report command: the same refusals as the form, and a ready report without a broker."""

import pytest
from django.core.management import CommandError, call_command

from cooperation.models import Report, ReportKind, ReportStatus, Visibility

pytestmark = pytest.mark.django_db(transaction=True)  # the build runs as the request commits


@pytest.fixture
def eager(settings, tmp_path):
    from config.celery import app

    settings.MEDIA_ROOT = tmp_path / "media"
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def generate(*args) -> str:
    return call_command("generate_report", *args)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "2022-13"], "Month: 2022-13 does not exist"),
        (["--period", "Nov 2022"], "is not a month; write it as YYYY-MM"),
        (
            ["--from", "2022-09-18", "--to", "2022-08-18"],
            "cannot end (2022-08-18) before it starts (2022-09-18)",
        ),
        (["--from", "2022-02-30", "--to", "2022-03-01"], "From: enter a real date"),
        (["--period", "2022-11", "--partner", "atlantis"], "no partner “atlantis”"),
        (["--period", "2022-11", "--from", "2022-11-01", "--to", "2022-11-05"], "not both"),
        ([], "give a month, or a start and an end"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(args, message):
    with pytest.raises(CommandError) as error:
        generate(*args)
    assert message in str(error.value)
    assert not Report.objects.exists()


def test_without_a_broker_the_command_leaves_a_ready_report(seed, eager):
    output = generate("--period", "2022-11")

    report = Report.objects.get()
    assert (report.kind, report.audience, report.status) == (
        ReportKind.MONTHLY,
        Visibility.PUBLIC,
        ReportStatus.READY,
    )
    assert output.startswith(f"Built: report #{report.pk}")
    assert "Already built" in generate("--period", "2022-11")
    assert Report.objects.count() == 1


def test_partner_alone_gives_its_whole_record_dossier_and_rebuild_builds_again(seed, eager):
    generate("--partner", "ministry-of-interior", "--audience", "everything")
    report = Report.objects.get()
    assert report.kind == ReportKind.DOSSIER and report.is_whole_record
    first_file = report.file.name

    generate("--partner", "ministry-of-interior", "--audience", "everything", "--rebuild")
    report.refresh_from_db()
    assert report.status == ReportStatus.READY and report.file.name != first_file
    assert report.attempts == 1  # a rebuild is a new request, its attempts counted afresh


def test_public_dossier_of_an_internal_partner_is_refused(seed):
    from cooperation.models import Partner

    Partner.objects.filter(slug="iom").update(visibility=Visibility.INTERNAL)
    with pytest.raises(CommandError, match="this audience may not see"):
        generate("--partner", "iom")
