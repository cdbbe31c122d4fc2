"""No leaks: walk every URL the project routes, as an anonymous visitor and as a Viewer, with
internal records present. Anonymous responses (pages, tables, CSV and Excel exports, feeds,
search, charts, report downloads) never contain an internal title, quote, name or figure;
the Viewer's walk finds every one of them somewhere.

The walk reads the URL resolver, so pages added later are walked too: path parameters are
filled with the slugs and primary keys of the records made here, public and internal.
"""

import datetime
import io
import re
import zipfile

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from cooperation.models import Citation, ReportAudience, Visibility
from cooperation.reports import services as report_services
from cooperation.reports.periods import Period
from tests import factories

INTERNAL = Visibility.INTERNAL
PUBLIC = Visibility.PUBLIC

# One unusual word per internal fact: a response containing it has leaked that fact.
SECRETS = {
    "partner name": "Obsidian",
    "person name": "Tamarind",
    "meeting title": "Zephyrine",
    "commitment title": "Quasarine",
    "milestone title": "Nebulosa",
    "source title": "Vellumcroft",
    "quoted passage": "Marzipanic",
    "complaint origin": "Gorgonzolan",
}
# The internal complaint figure, and the public total it would make if it were counted.
FIGURES = [987654, 987654 + 11]

SKIP_NAMESPACES = {"admin"}
# Searches use a prefix of a secret word: a page echoing the query does not count as a leak.
QUERY_VARIANTS = ["", "?_export=csv", "?_export=xlsx", "?q=Obsid", "?q=Zephyr", "?page=2"]


@pytest.fixture
def records(db):
    """Public records, internal ones, and public records linked to internal ones."""
    public_partner = factories.PartnerFactory(name="Ministry of Interior", slug="moi")
    internal_partner = factories.PartnerFactory(
        name="Obsidian Liaison Unit", slug="obsidian-unit", visibility=INTERNAL
    )
    internal_person = factories.PersonFactory(
        name="Tamarind Sok", slug="tamarind-sok", partner=public_partner, visibility=INTERNAL
    )
    public_source = factories.SourceFactory(
        title="Press release", text="The ministry met its partners and agreed."
    )
    internal_source = factories.SourceFactory(
        title="Vellumcroft cable",
        reference="vellumcroft.txt",
        text="Marzipanic clause: the unit will share lists. Obsidian attended.",
        visibility=INTERNAL,
    )
    public_meeting = factories.MeetingFactory(
        title="Public summit on trafficking",
        slug="public-summit",
        partners=[public_partner, internal_partner],
        date=datetime.date(2022, 11, 1),
    )
    public_meeting.participants.add(internal_person)
    internal_meeting = factories.MeetingFactory(
        title="Zephyrine closed-door briefing",
        slug="zephyrine-briefing",
        partners=[public_partner],
        visibility=INTERNAL,
        date=datetime.date(2022, 11, 3),
    )
    factories.CitationFactory(
        record=public_meeting, source=public_source, passage="The ministry met its partners"
    )
    factories.CitationFactory(
        record=public_meeting,
        source=internal_source,
        passage="Marzipanic clause: the unit will share lists.",
        quoted_person=internal_person,
    )
    factories.CitationFactory(
        record=internal_meeting, source=internal_source, passage="Obsidian attended."
    )
    public_commitment = factories.CommitmentFactory(
        title="Open a hotline", made_by=public_partner, meeting=public_meeting
    )
    public_commitment.made_to.add(internal_partner)
    factories.CommitmentFactory(
        title="Quasarine pledge to fund shelters",
        made_by=public_partner,
        visibility=INTERNAL,
        date=datetime.date(2022, 11, 5),
    )
    factories.ComplaintCountFactory(received_by=public_partner, count=11)
    factories.ComplaintCountFactory(
        received_by=public_partner,
        count=FIGURES[0],
        origin="Gorgonzolan hotline",
        visibility=INTERNAL,
    )
    milestone = factories.MilestoneFactory(
        title="Nebulosa task force founded",
        slug="nebulosa",
        visibility=INTERNAL,
        date=datetime.date(2022, 11, 7),
    )
    milestone.partners.add(public_partner)
    public_milestone = factories.MilestoneFactory(title="Plan adopted", slug="plan-adopted")
    public_milestone.partners.add(internal_partner)
    return {"internal_source": internal_source, "public_partner": public_partner}


@pytest.fixture
def reports(records):
    """A public and an internal report, built for real while the internal records exist."""
    built = []
    period = Period(datetime.date(2022, 11, 1), datetime.date(2022, 11, 30))
    owners = factories.default_owner()
    for audience, organisation in ((PUBLIC, None), (ReportAudience.ORGANISATION, owners)):
        report, _ = report_services.report_request(
            period=period, audience=audience, organisation=organisation
        )
        built.append(report_services.report_render(report_id=report.pk))
    dossier, _ = report_services.report_request_dossier(
        partner=records["public_partner"], audience=PUBLIC
    )
    built.append(report_services.report_render(report_id=dossier.pk))
    brief, _ = report_services.report_request_brief(
        partner=records["public_partner"], audience=PUBLIC
    )
    built.append(report_services.report_render(report_id=brief.pk))
    assert all(report.status == "ready" for report in built), [r.error for r in built]
    return built


def walk_patterns(resolver=None, prefix="", namespace=""):
    """(route, namespace) for every leaf pattern, with nested includes flattened."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or namespace
            yield from walk_patterns(pattern, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), namespace


PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def parameter_values(converter: str, name: str) -> list[str]:
    from cooperation import models

    if converter == "int" or name in {"pk", "id"}:
        pks = set()
        for model in (
            models.Partner,
            models.Meeting,
            models.Commitment,
            models.ComplaintCount,
            models.Milestone,
            models.Source,
            models.Person,
            models.Report,
            Citation,
        ):
            pks.update(model.objects.values_list("pk", flat=True))
        return [str(pk) for pk in sorted(pks)]
    slugs = set()
    for model in (models.Partner, models.Meeting, models.Milestone, models.Person, models.Topic):
        slugs.update(model.objects.values_list("slug", flat=True))
    return sorted(slugs)


def concrete_urls() -> list[str]:
    """Every routed URL, each path parameter filled with each fitting value."""
    urls = []
    for route, namespace in walk_patterns():
        if namespace in SKIP_NAMESPACES or route.startswith("^") or "(?P" in route:
            continue
        route = route.lstrip("^").rstrip("$")
        filled = [route]
        for match in PARAMETER.finditer(route):
            values = parameter_values(match.group("converter") or "str", match.group("name"))
            filled = [url.replace(match.group(0), value, 1) for url in filled for value in values]
        for url in filled:
            path = "/" + url
            variants = QUERY_VARIANTS if "<" not in route else [""]
            urls.extend(path + query for query in variants)
    return sorted(set(urls))


def response_text(response) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return text_of(body, response.get("Content-Type", ""))


def text_of(body: bytes, kind: str) -> str:
    """Everything a person could read: HTML, CSV, Excel cells, PDF text."""
    if "spreadsheetml" in kind or body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return " ".join(
                archive.read(name).decode("utf-8", "replace")
                for name in archive.namelist()
                if name.endswith(".xml")
            )
    if "pdf" in kind or body[:5] == b"%PDF-":
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(body))
        return " ".join(page.extract_text() or "" for page in reader.pages)
    return body.decode("utf-8", "replace")


def figure_forms(figure: int) -> list[str]:
    digits = str(figure)
    grouped = f"{figure:,}"
    return [digits] + [grouped.replace(",", sep) for sep in (",", ".", " ", "\u202f", "\xa0")]


def leaks_in(text: str) -> list[str]:
    lowered = text.lower()
    found = [f"{what}: {word}" for what, word in SECRETS.items() if word.lower() in lowered]
    for figure in FIGURES:
        found += [f"figure {form!r}" for form in figure_forms(figure) if form in text]
    return found


def walk(client, urls):
    """Request every URL (POST too, where GET is refused); yield url, response, text."""
    for url in urls:
        response = client.get(url)
        if response.status_code == 405 and "logout" not in url:  # signing out ends the walk
            response = client.post(url)
        text = response_text(response) if response.status_code < 300 else ""
        yield url, response, text


def test_anonymous_walk_of_every_url_shows_no_internal_record(client, records, reports):
    urls = concrete_urls()
    for report in reports:
        urls.append(report.get_absolute_url())
    assert len(urls) > 50, urls
    problems = []
    walked = 0
    for url, response, text in walk(client, urls):
        walked += 1
        if response.status_code >= 500:
            problems.append(f"{url}: {response.status_code}")
        for leak in leaks_in(text):
            problems.append(f"{url}: {leak}")
    assert problems == [], "\n".join(problems)
    print(f"anonymous walk: {walked} URLs, no leaks")


def test_viewer_walk_finds_every_internal_record(viewer_client, records, reports):
    urls = concrete_urls()
    seen = set()
    errors = []
    for url, response, text in walk(viewer_client, urls):
        if response.status_code >= 500:
            errors.append(f"{url}: {response.status_code}")
        seen.update(leaks_in(text))
    assert errors == []
    missing = [f"{what}: {word}" for what, word in SECRETS.items() if f"{what}: {word}" not in seen]
    assert missing == []
    assert any(item.startswith("figure") for item in seen)


def test_internal_report_file_is_not_served_to_anonymous_visitors(client, reports):
    internal = [r for r in reports if r.audience != PUBLIC]
    for report in internal:
        with report.file.open("rb") as handle:
            text = text_of(handle.read(), "application/pdf")
        assert leaks_in(text), "the internal report should contain the internal records"
    for url, response, _ in walk(client, [f"/reports/{r.pk}/download/" for r in internal]):
        assert response.status_code == 404, url


def test_citing_pages_send_visitors_to_sign_in_and_hide_sources_from_other_editors(client, records):
    """The walk reaches the citing pages (cooperation/citing.py): visitors are sent to sign in,
    and an editor of another organisation finds an internal source's as missing as the source."""
    from django.test import Client

    from cooperation.roles import EDITOR

    internal = records["internal_source"]
    urls = [url for url in concrete_urls() if url.startswith(f"/sources/{internal.pk}/cite/")]
    assert len(urls) == 2, urls
    for url in urls:
        for response in (client.get(url), client.post(url)):
            assert response.status_code == 302, url
            assert response["Location"].startswith("/accounts/login/?next="), url
    editor = Client()
    editor.force_login(
        factories.user_with_role("walk-editor", EDITOR, organisations=[records["public_partner"]])
    )
    for url in urls:
        assert editor.post(url, {"action": "meeting"}).status_code == 404, url
        assert leaks_in(editor.get(url).content.decode()) == [], url
