"""Who may do what: the three roles, anonymous visitors, and the hourly report limit."""

import logging

import pytest
from django.urls import reverse

from cooperation.models import Report, ReportAudience, Visibility
from cooperation.ratelimit import report_request_allowed
from cooperation.roles import ADMINISTRATOR, EDITOR, VIEWER
from tests import factories
from tests.factories import user_with_role


@pytest.fixture
def editor(db):
    return user_with_role("editor", EDITOR, staff=True)


@pytest.fixture
def administrator(db):
    return user_with_role("administrator", ADMINISTRATOR, staff=True)


@pytest.fixture
def staff_viewer(db):
    """A Viewer who was given admin access by mistake: the group still allows nothing."""
    return user_with_role("staffviewer", VIEWER, staff=True)


# Admin


@pytest.mark.parametrize("name", ["cooperation_partner_add", "cooperation_meeting_add"])
def test_viewer_cannot_reach_admin_edit_pages(client, viewer, name):
    client.force_login(viewer)
    response = client.get(reverse(f"admin:{name}"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_viewer_with_staff_flag_still_cannot_edit(client, staff_viewer):
    partner = factories.PartnerFactory()
    client.force_login(staff_viewer)
    assert client.get(reverse("admin:cooperation_partner_add")).status_code == 403
    change_url = reverse("admin:cooperation_partner_change", args=[partner.pk])
    page = client.get(change_url)
    # View permission: a read-only page, with no save button.
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.post(change_url, {"name": "Hijacked"}).status_code == 403


def test_editor_edits_records_but_cannot_delete_them(client, editor):
    partner = factories.PartnerFactory()
    client.force_login(editor)
    assert client.get(reverse("admin:cooperation_partner_add")).status_code == 200
    change = reverse("admin:cooperation_partner_change", args=[partner.pk])
    assert 'name="_save"' in client.get(change).content.decode()
    delete = reverse("admin:cooperation_partner_delete", args=[partner.pk])
    assert client.get(delete).status_code == 403


USER_AND_SCHEDULE_PAGES = [
    "admin:auth_user_changelist",
    "admin:auth_user_add",
    "admin:django_celery_beat_periodictask_changelist",
]


@pytest.mark.parametrize("name", [*USER_AND_SCHEDULE_PAGES, "admin:auth_group_changelist"])
def test_editor_cannot_manage_users_or_schedules(client, editor, name):
    client.force_login(editor)
    assert client.get(reverse(name)).status_code == 403


def test_editor_cannot_make_themselves_administrator(client, editor):
    client.force_login(editor)
    url = reverse("admin:auth_user_change", args=[editor.pk])
    assert client.post(url, {"username": "editor", "is_superuser": "on"}).status_code == 403
    editor.refresh_from_db()
    assert not editor.is_superuser


@pytest.mark.parametrize("name", USER_AND_SCHEDULE_PAGES)
def test_administrator_manages_users_and_schedules(client, administrator, name):
    client.force_login(administrator)
    assert client.get(reverse(name)).status_code == 200


def test_administrator_can_delete_an_uncited_record(client, administrator):
    partner = factories.PartnerFactory()
    client.force_login(administrator)
    url = reverse("admin:cooperation_partner_delete", args=[partner.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not partner.__class__.objects.filter(pk=partner.pk).exists()


def test_anonymous_visitors_are_sent_to_the_admin_sign_in(client, db):
    response = client.get(reverse("admin:cooperation_partner_changelist"))
    assert response.status_code == 302


# Reports


def report_form(**changes):
    fields = {"audience": "organisation", "organisation": factories.OWNER_SLUG}
    return {"month": "2022-11", **fields} | changes


def test_viewer_cannot_ask_for_reports(viewer_client, caplog):
    caplog.set_level(logging.INFO, logger="concord.access")
    response = viewer_client.post(reverse("cooperation:report-request"), report_form())
    assert response.status_code == 403
    assert not Report.objects.exists()
    assert any(r.getMessage().startswith("permission-refused user=viewer") for r in caplog.records)


def test_anonymous_visitors_cannot_ask_for_reports(client, db):
    response = client.post(reverse("cooperation:report-request"), report_form())
    assert response.status_code in (302, 403)
    assert not Report.objects.exists()


def test_editor_asks_for_a_report_and_it_is_logged(client, editor, caplog, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    caplog.set_level(logging.INFO, logger="concord.access")
    client.force_login(editor)
    response = client.post(reverse("cooperation:report-request"), report_form())
    assert response.status_code == 302
    assert Report.objects.filter(requested_by=editor).count() == 1
    assert any(
        r.getMessage().startswith("report-request user=editor ip=127.0.0.1") for r in caplog.records
    )


def test_report_requests_are_limited_per_user_per_hour(client, editor, caplog, settings):
    settings.REPORT_REQUESTS_PER_HOUR = 2
    caplog.set_level(logging.INFO, logger="concord.access")
    for month in ("2022-01", "2022-02"):
        Report.objects.create(
            kind="monthly",
            period_start=f"{month}-01",
            period_end=f"{month}-28",
            requested_by=editor,
        )
    assert not report_request_allowed(editor)
    client.force_login(editor)
    response = client.post(
        reverse("cooperation:report-request"),
        report_form(month="2022-03"),
        HTTP_REFERER="http://testserver" + reverse("cooperation:report-list"),
        follow=True,
    )
    text = response.content.decode()
    assert "You have asked for 2 reports in the last hour, the most allowed." in text
    assert Report.objects.count() == 2
    assert any(
        r.getMessage().startswith("report-request-refused user=editor") for r in caplog.records
    )
    # Another editor is not held back by the first one's requests.
    other = user_with_role("editor2", EDITOR, staff=True)
    assert report_request_allowed(other)


def test_the_limit_does_not_send_users_off_site(client, editor, settings):
    settings.REPORT_REQUESTS_PER_HOUR = 0
    client.force_login(editor)
    response = client.post(
        reverse("cooperation:report-request"),
        report_form(),
        HTTP_REFERER="https://evil.example/phish",
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


# Object URLs of internal records


def internal_records():
    partner = factories.PartnerFactory(visibility=Visibility.INTERNAL)
    return [
        partner,
        factories.MeetingFactory(visibility=Visibility.INTERNAL, partners=[partner]),
        factories.CommitmentFactory(visibility=Visibility.INTERNAL, made_by=partner),
        factories.ComplaintCountFactory(visibility=Visibility.INTERNAL, received_by=partner),
        factories.MilestoneFactory(visibility=Visibility.INTERNAL),
        factories.SourceFactory(visibility=Visibility.INTERNAL),
        Report.objects.create(
            kind="period",
            period_start="2022-01-01",
            period_end="2022-02-01",
            audience=ReportAudience.ORGANISATION,
            audience_organisation=factories.default_owner(),
        ),
    ]


def test_internal_record_urls_are_404_for_anonymous_visitors(client, db):
    for record in internal_records():
        url = record.get_absolute_url()
        assert client.get(url).status_code == 404, url


def test_internal_record_urls_open_for_viewers(viewer_client):
    for record in internal_records():
        url = record.get_absolute_url()
        assert viewer_client.get(url).status_code == 200, url


def test_internal_report_download_is_404_for_anonymous_visitors(client, db):
    report = internal_records()[-1]
    url = reverse("cooperation:report-download", args=[report.pk])
    assert client.get(url).status_code == 404


def test_dossier_request_is_logged_for_visitors_too(client, seed, caplog):
    caplog.set_level(logging.INFO, logger="concord.access")
    client.post(reverse("cooperation:report-dossier", args=["ministry-of-interior"]))
    assert any(
        r.getMessage().startswith("report-request user=- ip=127.0.0.1") for r in caplog.records
    )


@pytest.mark.parametrize(
    "name", ["authtoken_tokenproxy_add", "axes_accessattempt_changelist", "auth_user_changelist"]
)
def test_an_administrator_who_is_not_a_superuser_issues_tokens_and_unlocks_sign_ins(
    client, administrator, editor, name
):
    client.force_login(administrator)
    assert client.get(reverse(f"admin:{name}")).status_code == 200
    client.force_login(editor)
    assert client.get(reverse(f"admin:{name}")).status_code == 403
