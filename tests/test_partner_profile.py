"""A partner's profile reads what involves the partner, from the partner's side."""

import pytest
from django.contrib.auth.models import AnonymousUser

from cooperation.selectors import partner_sources, partner_topics
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_sources_are_those_cited_by_what_involves_the_partner():
    partner, other = factories.PartnerFactory(), factories.PartnerFactory()
    commitment_to = factories.CommitmentFactory(made_by=other)
    commitment_to.made_to.set([partner])
    milestone = factories.MilestoneFactory()
    milestone.partners.set([partner])
    involving = {
        "itself": partner,
        "its person": factories.PersonFactory(partner=partner),
        "its meeting": factories.MeetingFactory(partners=[partner, other]),
        "its commitment": factories.CommitmentFactory(made_by=partner),
        "a commitment to it": commitment_to,
        "its complaint count": factories.ComplaintCountFactory(received_by=partner),
        "its milestone": milestone,
    }
    cited = {}
    for label, record in involving.items():
        cited[label] = factories.CitationFactory(record=record).source
    unrelated = [
        factories.MeetingFactory(partners=[other]),
        factories.CommitmentFactory(made_by=other),
        factories.ComplaintCountFactory(received_by=other),
        factories.PersonFactory(partner=other),
    ]
    for record in unrelated:
        factories.CitationFactory(record=record)

    found = set(partner_sources(user=AnonymousUser(), partner=partner))
    assert found == set(cited.values())


def test_topics_are_counted_over_the_partners_records_of_every_kind():
    partner, other = factories.PartnerFactory(), factories.PartnerFactory()
    border, labour, elsewhere = (factories.TopicFactory() for _ in range(3))
    factories.MeetingFactory(partners=[partner], topics=[border, labour])
    factories.MeetingFactory(partners=[partner], topics=[border])
    factories.MeetingFactory(partners=[other], topics=[elsewhere])
    factories.CommitmentFactory(made_by=partner).topics.set([border])
    received = factories.CommitmentFactory(made_by=other)
    received.made_to.set([partner])
    received.topics.set([labour])
    milestone = factories.MilestoneFactory()
    milestone.partners.set([partner])
    milestone.topics.set([border])

    topics = partner_topics(user=AnonymousUser(), partner=partner)
    assert [(topic, topic.uses) for topic in topics] == [(border, 4), (labour, 2)]
