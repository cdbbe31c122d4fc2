"""Hostile input: script payloads stored in every text field come out escaped in pages,
exports and PDFs; SQL-ish, oversized and binary input in filters and search gives a page,
never a 500 (property-based, with hypothesis); CSRF is enforced on every form."""

import csv
import datetime
import io
import re
from xml.etree import ElementTree

import pytest
from django.db import models as db_models
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cooperation import models
from cooperation.reports import services as report_services
from cooperation.reports.periods import Period
from tests import factories
from tests.helpers import LIST_PAGES
from tests.test_leaks import concrete_urls, response_text, text_of

PAYLOADS = [
    "<script>alert('xss1')</script>",
    "\"><img src=x onerror=alert('xss2')>",
    "'><svg/onload=alert('xss3')>",
    "</textarea><script>alert('xss4')</script>",
    '=HYPERLINK("http://evil.example/x","xss5")',
    "javascript:alert('xss6')",
]
# What a payload looks like when a browser would run it: markup the page itself did not write.
DANGEROUS = [
    re.compile(r"<script>alert\("),
    re.compile(r"<img src=x onerror", re.I),
    re.compile(r"<svg/onload", re.I),
    re.compile(r"""href=["']?\s*javascript:""", re.I),
]
SKIPPED_FIELDS = {"slug", "country", "reference", "date_precision", "date_inferred"}

# Filled in by the tests, read by the closing note.
COUNTS = {"stored payload fields": 0, "fuzzed requests": 0}


def is_own_language_column(record, name: str) -> bool:
    own = f"_{getattr(record, 'language', '')}"
    return name.endswith(own) and name.removesuffix(own) in getattr(record, "translated_fields", [])


def fill_text_fields(record, index: int) -> None:
    """Put a payload into every free-text field of the record, fitted to its length."""
    for field in record._meta.get_fields():
        if not isinstance(field, db_models.CharField | db_models.TextField | db_models.URLField):
            continue
        if field.choices or field.name in SKIPPED_FIELDS or not field.editable:
            continue
        if is_own_language_column(record, field.name):
            continue  # stays empty: the record's text is its original
        payload = PAYLOADS[index % len(PAYLOADS)]
        index += 1
        if isinstance(field, db_models.URLField):
            payload = "javascript:alert('xss6')"
        if field.max_length:
            payload = payload[: field.max_length]
        setattr(record, field.name, payload)
        COUNTS["stored payload fields"] += 1
    if hasattr(record, "pillar_note"):
        record.pillar = models.Pillar.PROTECTION  # a note needs a pillar; its note is a payload
    record.save()


@pytest.fixture
def hostile_records(db):
    partner = factories.PartnerFactory(slug="hostile-partner")
    person = factories.PersonFactory(partner=partner, slug="hostile-person")
    source = factories.SourceFactory()
    meeting = factories.MeetingFactory(
        slug="hostile-meeting", partners=[partner], date=datetime.date(2022, 11, 2)
    )
    meeting.participants.add(person)
    topic = factories.TopicFactory(slug="hostile-topic")
    meeting.topics.add(topic)
    commitment = factories.CommitmentFactory(made_by=partner, meeting=meeting)
    count = factories.ComplaintCountFactory(received_by=partner, meeting=meeting)
    milestone = factories.MilestoneFactory(slug="hostile-milestone")
    milestone.partners.add(partner)
    citation = factories.CitationFactory(record=meeting, source=source, quoted_person=person)
    update = models.CommitmentUpdate.objects.create(
        commitment=commitment,
        status=models.CommitmentStatus.IN_PROGRESS,
        source=source,
        passage="x",
        date=datetime.date(2022, 11, 20),
    )
    records = [partner, person, source, meeting, topic, commitment, count, milestone]
    records += [citation, update]
    for index, record in enumerate(records):
        fill_text_fields(record, index)
    return records


def assert_escaped(url: str, text: str) -> None:
    for pattern in DANGEROUS:
        match = pattern.search(text)
        assert match is None, f"{url}: unescaped {match.group(0)!r}"


def test_payloads_in_every_text_field_render_escaped_in_every_page(
    client, viewer_client, hostile_records
):
    checked = 0
    # In Khmer too: its pages show the records' Khmer translation columns, payloads and all.
    for visitor, language in ((client, "en"), (viewer_client, "en"), (client, "km")):
        for url in concrete_urls():
            response = visitor.get(url, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code < 500, url
            if response.status_code == 200:
                kind = response.get("Content-Type", "")
                if "csv" in kind or "spreadsheetml" in kind:
                    assert_exports_neutralised(url, response, kind)
                elif "xml" in kind:  # feeds: well-formed, so the payload stayed text
                    ElementTree.fromstring(response.content)
                elif "html" in kind:
                    assert_escaped(url, response_text(response))
                checked += 1
    assert checked > 40
    print(f"payloads: {COUNTS['stored payload fields']} text fields, {checked} responses checked")
    # The payloads did reach the pages, escaped.
    detail = viewer_client.get(hostile_records[3].get_absolute_url()).content.decode()
    assert "&lt;script&gt;alert(" in detail


def assert_exports_neutralised(url: str, response, kind: str) -> None:
    """No exported cell starts with a character a spreadsheet would read as a formula."""
    if "csv" in kind:
        body = b"".join(response.streaming_content) if response.streaming else response.content
        for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))):
            for cell in row:
                assert not cell.startswith(("=", "+", "@")), f"{url}: {cell!r}"
    else:
        text = response_text(response)
        assert ">=HYPERLINK" not in text, url


def test_payloads_are_printed_as_text_in_pdf_reports(hostile_records):
    period = Period(datetime.date(2022, 11, 1), datetime.date(2022, 11, 30))
    report, _ = report_services.report_request(period=period, audience="everything")
    report = report_services.report_render(report_id=report.pk)
    assert report.status == "ready", report.error
    with report.file.open("rb") as handle:
        text = text_of(handle.read(), "application/pdf")
    flat = re.sub(r"\s+", "", text)
    # Printed literally: WeasyPrint would have swallowed real tags.
    assert "<script>alert('xss1')</script>" in flat or "alert('xss" in flat
    assert "<script>alert(" in flat


SQLISH = st.sampled_from(
    [
        "' OR '1'='1",
        "'; DROP TABLE cooperation_partner; --",
        '" OR 1=1 --',
        "1) UNION SELECT username, password FROM auth_user --",
        "%' AND pg_sleep(5) --",
        "\\x00",
        "\x00",
        "../../etc/passwd",
        "%00%27",
        "(((((((",
        "[]{}$where",
        "9" * 400,
        "-1",
        "2022-13-45",
        "0x7fffffffffffffff",
        "🙂" * 50,
    ]
)
OVERSIZED = st.integers(min_value=2_000, max_value=20_000).map(lambda n: "x" * n)
HOSTILE_TEXT = st.one_of(SQLISH, OVERSIZED, st.text(max_size=300))

FORM_FIELD = re.compile(r"""<(?:input|select|textarea)[^>]*\sname=["']([\w-]+)["']""", re.I)


def get_form_fields(client, url) -> list[str]:
    """The names of the fields of the GET forms on a page (filters and search)."""
    html = client.get(url).content.decode()
    names = set()
    for form in re.findall(r"<form[^>]*>.*?</form>", html, flags=re.S | re.I):
        if re.search(r"method=[\"']?post", form, re.I):
            continue
        names.update(FORM_FIELD.findall(form))
    return sorted(names - {"csrfmiddlewaretoken"})


FUZZED_URLS = [
    *(f"cooperation:{name}" for name in [*LIST_PAGES, "search", "report-list", "coverage"]),
    "changes",
]


@pytest.mark.parametrize("url_name", FUZZED_URLS)
def test_hostile_filter_and_search_input_gives_a_page_not_a_500(url_name, viewer, db):
    client = Client()
    client.force_login(viewer)
    factories.MeetingFactory()
    url = reverse(url_name)
    fields = get_form_fields(client, url) + ["q", "sort", "page", "per_page", "_export"]

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(field=st.sampled_from(fields), value=HOSTILE_TEXT, anonymous=st.booleans())
    @example(field="per_page", value="9" * 400, anonymous=False)
    @example(field="per_page", value="-1", anonymous=False)
    @example(field="page", value="-1", anonymous=True)
    @example(field="q", value="\x00", anonymous=True)
    @example(field="sort", value="password", anonymous=False)
    def request_survives(field, value, anonymous):
        visitor = Client() if anonymous else client
        response = visitor.get(url, {field: value})
        COUNTS["fuzzed requests"] += 1
        assert response.status_code < 500, (field, value[:80])
        assert response.status_code in (200, 302, 400, 404), (field, value[:80])

    request_survives()
    print(f"fuzzed {url}: {COUNTS['fuzzed requests']} requests so far")


CITE_FIELDS = [
    "passage-TOTAL_FORMS",
    "passage-0-words",
    "passage-0-start",
    "passage-0-end",
    "passage-0-role",
    "action",
    "kind",
    "q",
    "record",
    "person",
]


@pytest.mark.parametrize(
    "url_name", ["cooperation:source-cite", "cooperation:source-cite-existing"]
)
def test_hostile_citing_input_gives_a_page_not_a_500(url_name, db):
    """The "Cite a passage" panel and the existing-record page (cooperation/citing.py), as an
    editor: whatever a field holds, a page or a refusal, and nothing cited but the source's
    words."""
    from cooperation.roles import EDITOR

    client = Client()
    client.force_login(factories.user_with_role("hostile-editor", EDITOR))
    source = factories.SourceFactory(text="The ministry met its partners and agreed.")
    meeting = factories.MeetingFactory()
    url = reverse(url_name, args=[source.pk])
    valid = {
        "passage-TOTAL_FORMS": "1",
        "passage-INITIAL_FORMS": "0",
        "passage-0-words": "The ministry met",
        "passage-0-role": "quote",
        "passage-0-start": "0",
        "passage-0-end": "16",
        "action": "meeting",
        "kind": "meeting",
        "record": str(meeting.pk),
    }

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(field=st.sampled_from(CITE_FIELDS), value=HOSTILE_TEXT, post=st.booleans())
    @example(field="passage-0-start", value="9" * 400, post=True)
    @example(field="passage-TOTAL_FORMS", value="99999999999", post=True)
    @example(field="record", value="0x7fffffffffffffff", post=True)
    def request_survives(field, value, post):
        send = client.post if post else client.get
        response = send(url, {**valid, field: value})
        COUNTS["fuzzed requests"] += 1
        assert response.status_code in (200, 302, 400, 403, 405), (field, value[:80])

    request_survives()
    for citation in models.Citation.objects.all():  # whatever was cited, the source holds it
        assert " ".join(citation.passage.split()) in source.text
        assert citation.quoted_person is None  # no person was ever named for a quote


def test_hostile_input_in_the_sign_in_form_gives_a_page(client, db):
    for value in ["' OR '1'='1", "x" * 10_000, "\x00admin", "admin'--"]:
        response = client.post(reverse("login"), {"username": value, "password": value})
        assert response.status_code in (200, 429)


# CSRF


def post_targets() -> list[str]:
    admin_urls = [
        reverse("admin:login"),
        reverse("admin:logout"),
        reverse("admin:cooperation_partner_add"),
        reverse("admin:auth_user_add"),
        reverse("admin:password_change"),
    ]
    return sorted(set(concrete_urls()) | set(admin_urls))


# RFC 8058's one-click unsubscribe is posted by mail clients with neither token nor session: its
# signed token is the credential (tests/test_digests.py).
CSRF_EXEMPT = ("/digests/unsubscribe/",)


@pytest.mark.parametrize("role", ["anonymous", "viewer", "superuser"])
def test_every_url_refuses_a_post_without_a_csrf_token(db, hostile_records, role):
    client = Client(enforce_csrf_checks=True)
    if role == "viewer":
        from django.contrib.auth.models import Group

        user = factories.UserFactory(username="csrf-viewer")
        user.groups.add(Group.objects.get(name="Viewer"))
        client.force_login(user)
    elif role == "superuser":
        client.force_login(
            factories.UserFactory(username="csrf-root", is_staff=True, is_superuser=True)
        )
    accepted = []
    for url in post_targets():
        if url.startswith(CSRF_EXEMPT):
            continue
        response = client.post(url, {"username": "x", "password": "y", "month": "2022-11"})
        takes_no_post = response.status_code == 405 and "POST" not in response.get("Allow", "")
        if response.status_code != 403 and not takes_no_post:
            accepted.append(f"{url}: {response.status_code}")
    assert accepted == []


def test_forms_carry_a_csrf_token(client, viewer_client, hostile_records):
    pages = [reverse("login"), reverse("cooperation:dashboard"), reverse("cooperation:report-list")]
    pages.append(hostile_records[0].get_absolute_url())
    for visitor in (client, viewer_client):
        for url in pages:
            html = visitor.get(url).content.decode()
            for form in re.findall(r"<form[^>]*method=[\"']?post.*?</form>", html, re.S | re.I):
                assert "csrfmiddlewaretoken" in form, f"{url}: {form[:200]}"
