"""The visibility table: every record kind × every relation, for an anonymous visitor and a
signed-in one, on every output that shows the record.

Two tables. In the first, a public record links to an internal record (its partner, maker,
recipient, parent, quoted person, meeting, source) whose name carries MARKER: anonymous
visitors see the public record but never the marker; signed-in users see both. In the
second, a record of each kind is itself internal: anonymous visitors get a 404 for its
page and never meet it in a list, an export, search, the timeline, a feed or a source's
page, while a public record beside it still shows; signed-in users find it everywhere.
A third test reads the models, so a link added later fails until the table covers it.

Each case builds its own few rows with the factories and reads one URL.
"""

import datetime
import re
from dataclasses import dataclass
from functools import partial
from typing import Any

import pytest
from django.apps import apps
from django.urls import reverse

from cooperation import models
from tests import factories
from tests.factories import default_owner

pytestmark = pytest.mark.django_db

INTERNAL = models.Visibility.INTERNAL
MARKER = "Vantablack"  # in the name of every internal record
SHOWN = "Lumenpublic"  # in the name of the public record the output is about
QUERY = "Quillfeather"  # searched for: in both names, so the marker is never echoed back
HIDDEN = f"{MARKER} {QUERY}"
PARTNER = "Ministry of Interior"  # a public partner, for the partner's own page
PUBLIC_COUNT = 86420  # complaint counts have no name: their figure stands for one
HIDDEN_COUNT = 975310
ANONYMOUS, VIEWER = "anonymous", "viewer"
PEOPLE = ["internal", "of-internal-partner"]  # the two ways a person is hidden
KINDS = ["partner", "person", "meeting", "commitment", "complaintcount", "milestone"]


@dataclass
class Scene:
    """The rows of one case: the record the outputs are about, and what it links to."""

    record: Any
    marker: str = MARKER
    anchor: str = ""  # text that proves the public record is on the page
    named: bool = True  # whether the output names the linked record to those who may see it
    partner: models.Partner | None = None
    meeting: models.Meeting | None = None
    source: models.Source | None = None

    def __post_init__(self):
        if not self.anchor:
            counted = isinstance(self.record, models.ComplaintCount)
            self.anchor = str(PUBLIC_COUNT) if counted else SHOWN


def list_url(scene: Scene) -> str:
    """The table page of the record's kind (its URL name is the model's name)."""
    return reverse(f"cooperation:{scene.record._meta.model_name}-list")


OUTPUTS = {
    "detail": lambda scene: scene.record.get_absolute_url(),
    "list": list_url,
    "csv": lambda scene: list_url(scene) + "?_export=csv",
    "timeline": lambda scene: reverse("cooperation:timeline"),
    "updates": lambda scene: reverse("cooperation:timeline") + "?kind=update",
    "feed": lambda scene: reverse("cooperation:timeline-feed"),
    "ics": lambda scene: reverse("cooperation:meeting-ics"),
    "dashboard": lambda scene: reverse("cooperation:dashboard"),
    "search": lambda scene: reverse("cooperation:search") + f"?q={QUERY}",
    "source-page": lambda scene: scene.source.get_absolute_url(),
    "partner-page": lambda scene: scene.partner.get_absolute_url(),
    "meeting-page": lambda scene: scene.meeting.get_absolute_url(),
    "coverage": lambda scene: (
        reverse("cooperation:coverage") + f"?kind={scene.record._meta.model_name}"
    ),
}


# Building blocks ---------------------------------------------------------------------------


def public_partner() -> models.Partner:
    return factories.PartnerFactory(name=PARTNER)


def hidden_partner(**fields) -> models.Partner:
    return factories.PartnerFactory(name=HIDDEN, visibility=INTERNAL, **fields)


def hidden_meeting() -> models.Meeting:
    return factories.MeetingFactory(title=HIDDEN, visibility=INTERNAL)


def hidden_person(how: str, partner: models.Partner | None = None):
    """A person anonymous visitors may not see: internal, or public with an internal partner."""
    if how == "internal":
        partner = partner or public_partner()
        return factories.PersonFactory(name=HIDDEN, partner=partner, visibility=INTERNAL)
    return factories.PersonFactory(name=HIDDEN, partner=hidden_partner())


def cite(source: models.Source, *records):
    """Cite each record from the source; return the last one."""
    for record in records:
        factories.CitationFactory(record=record, source=source)
    return records[-1]


def with_partners(record, *partners):
    record.partners.add(*partners)
    return record


def add_update(
    commitment: models.Commitment, source: models.Source | None = None
) -> models.CommitmentUpdate:
    """A later step in the commitment's history, so the timeline shows an update entry."""
    source = source or factories.SourceFactory()
    return models.CommitmentUpdate.objects.create(
        commitment=commitment,
        status=models.CommitmentStatus.IN_PROGRESS,
        source=source,
        passage=source.text.split(".")[0],
        date=datetime.date(2022, 12, 1),
    )


def public_record(kind: str):
    """A public record of `kind` named SHOWN, and the public partner it involves."""
    partner = factories.PartnerFactory(name=SHOWN if kind == "partner" else PARTNER)
    build = {
        "partner": lambda: partner,
        "person": lambda: factories.PersonFactory(name=SHOWN, partner=partner),
        "meeting": lambda: factories.MeetingFactory(title=SHOWN, partners=[partner]),
        "commitment": lambda: factories.CommitmentFactory(title=SHOWN, made_by=partner),
        "complaintcount": lambda: factories.ComplaintCountFactory(
            count=PUBLIC_COUNT, received_by=partner
        ),
        "milestone": lambda: with_partners(factories.MilestoneFactory(title=SHOWN), partner),
    }
    return build[kind](), partner


# Public records linked to an internal one ------------------------------------------------


def partner_parent():
    return Scene(factories.PartnerFactory(name=SHOWN, parent=hidden_partner()))


def partner_units():
    partner = factories.PartnerFactory(name=SHOWN)
    hidden_partner(parent=partner)
    return Scene(partner)


def meeting_partners():
    partner = public_partner()
    return Scene(
        factories.MeetingFactory(title=SHOWN, partners=[partner, hidden_partner()]),
        partner=partner,
    )


def meeting_participants(how: str):
    meeting = factories.MeetingFactory(title=SHOWN)
    meeting.participants.add(hidden_person(how))
    return Scene(meeting)


def commitment_made_by():
    partner, meeting = public_partner(), factories.MeetingFactory(title="Steering committee")
    commitment = factories.CommitmentFactory(title=SHOWN, made_by=hidden_partner(), meeting=meeting)
    commitment.made_to.add(partner)
    add_update(commitment)
    return Scene(commitment, partner=partner, meeting=meeting)


def commitment_made_by_person(how: str):
    partner = public_partner()
    made_by_person = hidden_person(how, partner)
    return Scene(
        factories.CommitmentFactory(title=SHOWN, made_by=partner, made_by_person=made_by_person)
    )


def commitment_made_to():
    partner = public_partner()
    commitment = factories.CommitmentFactory(title=SHOWN, made_by=partner)
    commitment.made_to.add(hidden_partner())
    return Scene(commitment, partner=partner)


def commitment_meeting():
    return Scene(factories.CommitmentFactory(title=SHOWN, meeting=hidden_meeting()))


def complaints_received_by():
    return Scene(factories.ComplaintCountFactory(count=PUBLIC_COUNT, received_by=hidden_partner()))


def complaints_meeting():
    return Scene(factories.ComplaintCountFactory(count=PUBLIC_COUNT, meeting=hidden_meeting()))


def milestone_partners():
    partner = public_partner()
    milestone = factories.MilestoneFactory(title=SHOWN)
    return Scene(with_partners(milestone, partner, hidden_partner()), partner=partner)


def coverage_partners(kind: str):
    """A public record of `kind` involving a public partner and an internal one: the coverage
    page counts it in both partners' rows, and names the internal one only to its readers."""
    record, partner = public_record(kind)
    links = record.made_to if kind == "commitment" else record.partners
    links.add(hidden_partner())
    return Scene(record, partner=partner, anchor=PARTNER)


def quoted_person(kind: str, how: str):
    """A public passage of a public source, quoting a person anonymous visitors may not see."""
    record, partner = public_record(kind)
    source = factories.SourceFactory()
    factories.CitationFactory(record=record, source=source, quoted_person=hidden_person(how))
    return Scene(record, partner=partner, source=source)


def cited_source(kind: str):
    record, partner = public_record(kind)
    source = factories.SourceFactory(title=HIDDEN, visibility=INTERNAL)
    factories.CitationFactory(record=record, source=source)
    return Scene(record, partner=partner)


def update_source():
    commitment = factories.CommitmentFactory(title=SHOWN)
    source = factories.SourceFactory(
        title=HIDDEN, text=f"{MARKER} says the unit will act. Nothing more.", visibility=INTERNAL
    )
    add_update(commitment, source)
    return Scene(commitment)


def owned_by_hidden(kind: str):
    """A public record whose owner organisation anonymous visitors may not see."""
    record, partner = public_record(kind)
    type(record).objects.filter(pk=record.pk).update(owner=hidden_partner())
    return Scene(type(record).objects.get(pk=record.pk), partner=partner, named=False)


def source_owned_by_hidden():
    record, partner = public_record("meeting")
    source = factories.SourceFactory(owner=hidden_partner())
    factories.CitationFactory(record=record, source=source)
    return Scene(record, partner=partner, source=source, named=False)


TIMELINE = ["timeline", "feed"]
TABLE = ["detail", "list", "csv"]

RELATIONS = {
    "partner.parent": (partner_parent, TABLE),
    "partner.units": (partner_units, ["detail"]),
    "meeting.partners": (meeting_partners, [*TABLE, *TIMELINE, "partner-page"]),
    **{
        f"meeting.participants[{how}]": (partial(meeting_participants, how), ["detail"])
        for how in PEOPLE
    },
    "commitment.made_by": (
        commitment_made_by,
        [*TABLE, *TIMELINE, "updates", "partner-page", "meeting-page"],
    ),
    **{
        f"commitment.made_by_person[{how}]": (partial(commitment_made_by_person, how), ["detail"])
        for how in PEOPLE
    },
    "commitment.made_to": (commitment_made_to, [*TABLE, *TIMELINE, "partner-page"]),
    "commitment.meeting": (commitment_meeting, TABLE),
    "complaintcount.received_by": (complaints_received_by, [*TABLE, *TIMELINE]),
    "complaintcount.meeting": (complaints_meeting, ["detail"]),
    "milestone.partners": (milestone_partners, [*TABLE, *TIMELINE, "partner-page"]),
    **{
        f"{link}[coverage]": (partial(coverage_partners, link.split(".")[0]), ["coverage"])
        for link in ("meeting.partners", "commitment.made_to", "milestone.partners")
    },
    **{
        f"{kind}.citation.quoted_person[{how}]": (
            partial(quoted_person, kind, how),
            ["source-page"] if kind == "person" else ["detail", "source-page"],
        )
        for kind in KINDS
        for how in PEOPLE
    },
    **{
        f"{kind}.citation.source": (
            partial(cited_source, kind),
            {"partner": ["detail"], "person": ["partner-page"]}.get(
                kind, ["detail", "partner-page"]
            ),
        )
        for kind in KINDS
    },
    "commitmentupdate.source": (update_source, ["detail"]),
    **{
        f"{kind}.owner": (
            partial(owned_by_hidden, kind),
            ["partner-page"] if kind == "person" else TABLE,
        )
        for kind in KINDS
    },
    "source.owner": (source_owned_by_hidden, ["source-page", "detail"]),
}

# Links the table covers under other names.
ALSO_COVERED = {
    "person.partner": "the [of-internal-partner] rows: a person shows only with their partner",
    "commitmentupdate.commitment": "KINDS_ITSELF['commitment'] on the timeline and source page",
    "report.partner": "KINDS_ITSELF['report[of-internal-partner]']: its PDF names the partner",
    "report.audience_organisation": "test_sharing: an organisation's report reaches its staff",
    "membership.partner": "memberships show to their own user and administrators only",
    "follow.partner": "test_following / test_digests: the Following page and digests show "
    "only what the user may see now",
    "follow.commitment": "test_following / test_digests: a followed commitment made internal "
    "drops out of the Following page and the digest",
}


# Records that are themselves internal, beside a public one of the same kind -----------------


def internal_partner():
    source = factories.SourceFactory()
    cite(source, factories.PartnerFactory(name=f"{SHOWN} {QUERY}"))
    return Scene(cite(source, hidden_partner()), source=source)


def internal_person(how: str):
    partner, source = public_partner(), factories.SourceFactory()
    cite(source, factories.PersonFactory(name=f"{SHOWN} {QUERY}", partner=partner))
    return Scene(cite(source, hidden_person(how, partner)), partner=partner, source=source)


def internal_meeting():
    partner, source = public_partner(), factories.SourceFactory()
    shown = factories.MeetingFactory(
        title=f"{SHOWN} {QUERY}", partners=[partner], date=datetime.date(2022, 1, 1)
    )
    hidden = factories.MeetingFactory(
        title=HIDDEN, partners=[partner], visibility=INTERNAL, date=datetime.date(2022, 6, 1)
    )
    cite(source, shown, hidden)
    return Scene(hidden, partner=partner, source=source)


def internal_commitment():
    partner, meeting = public_partner(), factories.MeetingFactory(partners=[])
    source = factories.SourceFactory()
    commitments = [
        factories.CommitmentFactory(title=title, made_by=partner, meeting=meeting, **fields)
        for title, fields in [(f"{SHOWN} {QUERY}", {}), (HIDDEN, {"visibility": INTERNAL})]
    ]
    for commitment in commitments:
        add_update(commitment, source)
    cite(source, *commitments)
    return Scene(commitments[-1], partner=partner, meeting=meeting, source=source)


def internal_complaints():
    partner, meeting = public_partner(), factories.MeetingFactory(partners=[])
    source = factories.SourceFactory()
    shown = factories.ComplaintCountFactory(
        count=PUBLIC_COUNT, received_by=partner, meeting=meeting
    )
    hidden = factories.ComplaintCountFactory(
        count=HIDDEN_COUNT,
        origin=MARKER,
        received_by=partner,
        meeting=meeting,
        visibility=INTERNAL,
        period_start=datetime.date(2022, 10, 1),
        period_end=datetime.date(2022, 10, 31),
    )
    cite(source, shown, hidden)
    return Scene(hidden, marker=str(HIDDEN_COUNT), partner=partner, meeting=meeting, source=source)


def internal_milestone():
    partner, source = public_partner(), factories.SourceFactory()
    shown = with_partners(factories.MilestoneFactory(title=f"{SHOWN} {QUERY}"), partner)
    hidden = with_partners(factories.MilestoneFactory(title=HIDDEN, visibility=INTERNAL), partner)
    cite(source, shown, hidden)
    return Scene(hidden, partner=partner, source=source)


def internal_source():
    factories.SourceFactory(title=f"{SHOWN} {QUERY}")
    return Scene(factories.SourceFactory(title=HIDDEN, visibility=INTERNAL))


def internal_report(how: str):
    """A report for the owner's staff, or a public dossier built before its partner was made internal
    (the request form refuses a public dossier of an internal partner)."""

    def report(year: int, **fields):
        return models.Report.objects.create(
            kind=models.ReportKind.PERIOD,
            period_start=datetime.date(year, 3, 3),
            period_end=datetime.date(year, 3, 9),
            **fields,
        )

    hidden_fields = (
        {"audience": models.ReportAudience.ORGANISATION, "audience_organisation": default_owner()}
        if how == "internal"
        else {"partner": hidden_partner()}
    )
    shown, hidden = report(2022), report(1999, **hidden_fields)
    return Scene(hidden, marker=hidden.period_display, anchor=shown.period_display)


PAGES = [*TABLE, *TIMELINE, "dashboard", "partner-page", "source-page"]

KINDS_ITSELF = {
    "partner": (internal_partner, [*TABLE, "search", "source-page"]),
    **{
        f"person[{how}]": (
            partial(internal_person, how),
            ["search", "partner-page", "source-page"]
            if how == "internal"
            else ["search", "source-page"],
        )
        for how in PEOPLE
    },
    "meeting": (internal_meeting, [*PAGES, "search", "ics"]),
    "commitment": (internal_commitment, [*PAGES, "search", "updates", "meeting-page"]),
    "complaintcount": (internal_complaints, [*PAGES, "meeting-page"]),
    "milestone": (internal_milestone, [*PAGES, "search"]),
    "source": (internal_source, ["detail", "search"]),
    **{
        f"report[{how}]": (partial(internal_report, how), ["detail", "list"])
        for how in ("internal", "of-internal-partner")
    },
}


# The tests ------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """The viewer's password is hashed once per case: a fast hasher keeps the table quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# (row, output): what anonymous visitors see today and should not; fixed, a case passes
# and its strict mark fails it until the entry goes.
LEAKS: dict[tuple[str, str], str] = {}


def table(scenes: dict) -> list:
    """One case per scene, output and audience; a known leak is an expected failure."""
    cases = []
    for name, (build, outputs) in scenes.items():
        for output in outputs:
            for audience in (ANONYMOUS, VIEWER):
                leak = LEAKS.get((name, output)) if audience == ANONYMOUS else None
                marks = [pytest.mark.xfail(strict=True, reason=f"leak: {leak}")] if leak else []
                case_id = f"{name}-{output}-{audience}"
                cases.append(pytest.param(build, output, audience, id=case_id, marks=marks))
    return cases


def get(request, audience: str, url: str):
    client = request.getfixturevalue("client" if audience == ANONYMOUS else "viewer_client")
    return client.get(url)


# A thousands separator between digits, as pages group counts in each language ("86,420",
# "86 420"): taken out, so that a count is found however the page wrote it.
GROUPED_DIGITS = re.compile(r"(?<=\d)[,.\u00a0\u202f](?=\d{3}\b)")


def body_text(response) -> str:
    """A page's text, or a CSV export's, which streams; its figures ungrouped."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return GROUPED_DIGITS.sub("", body.decode())


def assert_shown_to(audience: str, text: str, scene: Scene) -> None:
    """The public record is there; the internal one only for a signed-in user."""
    assert scene.anchor in text
    if audience != VIEWER:
        assert scene.marker not in text
    elif scene.named:
        assert scene.marker in text


def test_the_table_has_a_row_for_every_link_between_records():
    """A link added to the models later fails here until the table covers it."""
    links = {
        f"{model._meta.model_name}.{field.name}"
        for model in apps.get_app_config("cooperation").get_models()
        if not model.__name__.startswith("Historical")
        for field in model._meta.get_fields()
        if field.is_relation
        and not field.auto_created
        and isinstance(field.related_model, type)
        and issubclass(field.related_model, models.VisibleRecord)
    }
    uncovered = {
        link
        for link in links
        if link not in ALSO_COVERED and not any(link in row for row in RELATIONS)
    }
    assert uncovered == set()


@pytest.mark.parametrize(("build", "output", "audience"), table(RELATIONS))
def test_a_public_record_masks_the_internal_record_it_links_to(request, build, output, audience):
    scene = build()
    response = get(request, audience, OUTPUTS[output](scene))
    assert response.status_code == 200
    assert_shown_to(audience, body_text(response), scene)


@pytest.mark.parametrize(("build", "output", "audience"), table(KINDS_ITSELF))
def test_an_internal_record_shows_to_signed_in_users_only(request, build, output, audience):
    scene = build()
    response = get(request, audience, OUTPUTS[output](scene))
    if output != "detail":
        assert response.status_code == 200
        assert_shown_to(audience, body_text(response), scene)
    elif audience == VIEWER:
        assert response.status_code == 200
        assert scene.marker in body_text(response)
    else:
        assert response.status_code == 404
