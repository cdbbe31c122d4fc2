"""Test data for the browsing pages: internal records to prove they never leak. Bulk rows,
to prove query counts do not grow with the data, come from `bench.data`."""

import datetime

from cooperation import models
from cooperation.models import Visibility
from tests import factories

SECRET = "ZQX-internal"  # every internal record's text carries this marker


def make_internal_records():
    """Internal records of every kind, tied to public ones so related lists are tested too.

    Returns the public records that link to them, by name.
    """
    public_partner = factories.PartnerFactory(name="Public partner", slug="public-partner")
    internal_partner = factories.PartnerFactory(
        name=f"{SECRET} partner", slug="internal-partner", visibility=Visibility.INTERNAL,
        parent=public_partner,
    )  # fmt: skip
    internal_person = factories.PersonFactory(
        name=f"{SECRET} person", partner=public_partner, visibility=Visibility.INTERNAL
    )
    topic = factories.TopicFactory(name="Border control", slug="border-control")
    internal_meeting = factories.MeetingFactory(
        title=f"{SECRET} meeting", slug="internal-meeting", visibility=Visibility.INTERNAL,
        partners=[public_partner], topics=[topic], date=datetime.date(2022, 11, 2),
    )  # fmt: skip
    public_meeting = factories.MeetingFactory(
        title="Public meeting", slug="public-meeting", partners=[public_partner, internal_partner],
        topics=[topic], date=datetime.date(2022, 11, 1),
    )  # fmt: skip
    public_meeting.participants.set([internal_person])
    public_commitment = factories.CommitmentFactory(
        title="Public commitment", made_by=public_partner, meeting=internal_meeting,
        made_by_person=internal_person, target_date=datetime.date(2020, 1, 1),
    )  # fmt: skip
    public_commitment.made_to.set([internal_partner])
    public_commitment.topics.set([topic])
    internal_commitment = factories.CommitmentFactory(
        title=f"{SECRET} commitment", made_by=public_partner, meeting=public_meeting,
        visibility=Visibility.INTERNAL,
    )  # fmt: skip
    commitment_by_internal = factories.CommitmentFactory(
        title="Commitment by an internal partner", made_by=internal_partner
    )
    public_count = factories.ComplaintCountFactory(
        received_by=internal_partner, count=41, meeting=internal_meeting
    )
    internal_count = factories.ComplaintCountFactory(
        received_by=public_partner, count=987654, visibility=Visibility.INTERNAL,
        origin=f"{SECRET} origin",
    )  # fmt: skip
    internal_milestone = factories.MilestoneFactory(
        title=f"{SECRET} milestone", slug="internal-milestone", visibility=Visibility.INTERNAL
    )
    internal_milestone.partners.set([public_partner])
    public_milestone = factories.MilestoneFactory(title="Public milestone", slug="public-milestone")
    public_milestone.partners.set([public_partner, internal_partner])

    public_source = factories.SourceFactory(
        title="Public source", text="Public source text. The ministry met its partners and agreed."
    )
    internal_source = factories.SourceFactory(
        title=f"{SECRET} source", text=f"{SECRET} source text. Words.",
        visibility=Visibility.INTERNAL,
    )  # fmt: skip
    factories.CitationFactory(
        source=public_source, passage="Public source text", record=public_meeting
    )
    factories.CitationFactory(
        source=public_source, passage="The ministry met its partners", record=internal_meeting
    )
    factories.CitationFactory(
        source=public_source, passage="and agreed", record=public_meeting,
        quoted_person=internal_person,
    )  # fmt: skip
    factories.CitationFactory(
        source=internal_source, passage=f"{SECRET} source text", record=public_meeting
    )
    factories.CitationFactory(
        source=public_source, passage="Public source text", record=internal_commitment
    )
    factories.CitationFactory(
        source=public_source, passage="Public source text", record=public_partner
    )
    factories.CitationFactory(
        source=public_source, passage="Public source text", record=public_commitment
    )
    models.CommitmentUpdate.objects.create(
        commitment=public_commitment, status=models.CommitmentStatus.STALLED,
        date=datetime.date(2023, 1, 1), source=internal_source,
        passage=f"{SECRET} source text", note="Stalled, said an internal memo.",
    )  # fmt: skip
    return {
        "partner": public_partner,
        "internal_partner": internal_partner,
        "meeting": public_meeting,
        "commitment": public_commitment,
        "commitment_by_internal": commitment_by_internal,
        "count": public_count,
        "internal_count": internal_count,
        "milestone": public_milestone,
        "source": public_source,
        "internal_source": internal_source,
        "internal_meeting": internal_meeting,
        "internal_commitment": internal_commitment,
    }
