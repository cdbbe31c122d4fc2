"""The no-leak walk, by organisation: every routed URL (pages, tables, CSV and Excel exports,
feeds, search, the change list, reports and their downloads) walked as an anonymous visitor,
a user of an uninvolved partner, a user of an involved partner and a user of the owner.

The ministry owns every planted record. Each level carries its own unusual words: a user
who finds a word they may not read has found a leak; a user who never finds one they may
read shows the walk would miss it (the positive control).
"""

import datetime

import pytest

from cooperation.models import Membership, ReportAudience, Visibility
from cooperation.reports import services as report_services
from cooperation.reports.periods import Period
from tests import factories
from tests.test_leaks import concrete_urls, figure_forms, walk

PUBLIC, SHARED, INTERNAL = Visibility.PUBLIC, Visibility.SHARED, Visibility.INTERNAL
NOVEMBER_2022 = Period(datetime.date(2022, 11, 1), datetime.date(2022, 11, 30))

# One word per planted fact, by who may read it.
WORDS = {
    "shared with IOM": ["Saffronite", "Cinnabarly", "Ochrelight", "Umberwell", "Verdigrim"],
    "shared with the embassy": ["Lapisorne", "Malachine", "Sepiagale", "Indigrove", "Carminet"],
    "internal to the ministry": ["Graphitor", "Pewterine", "Cobaltish", "Titanova", "Zincwater"],
}
FIGURES = {
    "shared with IOM": 813577,
    "shared with the embassy": 724466,
    "internal to the ministry": 635355,
}
READS = {
    "anonymous": set(),
    "embassy": {"shared with the embassy"},
    "iom": {"shared with IOM"},
    "ministry": set(WORDS),
}


def plant(label, level, owner, partner):
    """A meeting, commitment, milestone, person and complaint count at `level`, involving
    `partner`, each named with one of the label's words."""
    meeting_word, commitment_word, milestone_word, person_word, origin_word = WORDS[label]
    shared = {"visibility": level, "owner": owner}
    meeting = factories.MeetingFactory(
        title=f"{meeting_word} consultation",
        partners=[partner],
        date=datetime.date(2022, 11, 8),
        **shared,
    )
    factories.CommitmentFactory(
        title=f"{commitment_word} pledge",
        made_by=partner,
        meeting=meeting,
        date=datetime.date(2022, 11, 9),
        **shared,
    )
    milestone = factories.MilestoneFactory(
        title=f"{milestone_word} plan", date=datetime.date(2022, 11, 10), **shared
    )
    milestone.partners.add(partner)
    factories.PersonFactory(name=f"{person_word} Chan", partner=partner, **shared)
    factories.ComplaintCountFactory(
        received_by=partner,
        count=FIGURES[label],
        origin=f"{origin_word} hotline",
        period_start=datetime.date(2022, 11, 1),
        period_end=datetime.date(2022, 11, 20),
        **shared,
    )


@pytest.fixture
def organisations(db):
    ministry = factories.PartnerFactory(name="Ministry of Interior", slug="moi")
    iom = factories.PartnerFactory(name="IOM", slug="iom", kind="igo")
    embassy = factories.PartnerFactory(name="Embassy of France", slug="embassy", kind="embassy")
    plant("shared with IOM", SHARED, ministry, iom)
    plant("shared with the embassy", SHARED, ministry, embassy)
    plant("internal to the ministry", INTERNAL, ministry, iom)
    factories.MeetingFactory(title="Public summit", partners=[ministry, iom, embassy])
    users = {}
    for name, partner in [("embassy", embassy), ("iom", iom), ("ministry", ministry)]:
        users[name] = factories.UserFactory(username=f"{name}-officer")
        Membership.objects.create(user=users[name], partner=partner)
    reports = []
    audiences = [(ReportAudience.PUBLIC, None), (ReportAudience.EVERYTHING, None)]
    audiences += [(ReportAudience.ORGANISATION, org) for org in (ministry, iom, embassy)]
    for audience, organisation in audiences:
        report, _ = report_services.report_request(
            period=NOVEMBER_2022, audience=audience, organisation=organisation
        )
        reports.append(report_services.report_render(report_id=report.pk))
    assert all(report.status == "ready" for report in reports), [r.error for r in reports]
    return {"users": users, "reports": reports}


def found_in(text: str) -> set[str]:
    """The labels whose words or figure stand in this text."""
    lowered = text.lower()
    found = {label for label, words in WORDS.items() if any(w.lower() in lowered for w in words)}
    for label, figure in FIGURES.items():
        if any(form in text for form in figure_forms(figure)):
            found.add(label)
    return found


@pytest.mark.parametrize("who", ["anonymous", "embassy", "iom", "ministry"])
def test_each_user_finds_exactly_what_is_shared_with_them(client, organisations, who, capsys):
    if who != "anonymous":
        client.force_login(organisations["users"][who])
    urls = concrete_urls()
    for report in organisations["reports"]:
        urls += [report.get_absolute_url(), f"/reports/{report.pk}/download/"]
    leaks, errors, seen, walked = [], [], set(), 0
    for url, response, text in walk(client, urls):
        walked += 1
        if response.status_code >= 500:
            errors.append(f"{url}: {response.status_code}")
        found = found_in(text)
        seen |= found
        leaks += [f"{url}: {label}" for label in found - READS[who]]
    assert errors == []
    assert leaks == [], "\n".join(leaks[:40])
    assert seen == READS[who], f"{who} should find {READS[who]}, found {seen}"
    with capsys.disabled():
        print(f"\nsharing walk as {who}: {walked} URLs, reads {sorted(seen) or 'public only'}")
