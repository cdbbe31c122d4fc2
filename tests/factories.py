"""Factories for test data; `fixtures/` holds the seed users see, not test scaffolding."""

import datetime

import factory
from django.contrib.auth import get_user_model

from cooperation import models


def numbered(label: str):
    """A name and a slug numbered alike: "Partner 3" and "partner-3"."""
    return (
        factory.Sequence(lambda n: f"{label} {n}"),
        factory.Sequence(lambda n: f"{label.lower()}-{n}"),
    )


OWNER_SLUG = "owner-organisation"


def default_owner() -> models.Partner:
    """The organisation that owns the shared and internal records tests make, unless told
    otherwise; the `viewer` fixture works for it."""
    owner, _ = models.Partner.objects.get_or_create(
        slug=OWNER_SLUG,
        defaults={"name": "Owner organisation", "kind": models.PartnerKind.MINISTRY},
    )
    return owner


def join_owners(user) -> None:
    """Put the user on the staff of the organisations that own the tests' records: the
    default owner and, when the seed is loaded, the Ministry of Interior."""
    owners = [default_owner(), *models.Partner.objects.filter(slug="ministry-of-interior")]
    for owner in owners:
        models.Membership.objects.get_or_create(user=user, partner=owner)


def user_with_role(username: str, role: str, *, staff: bool = True, organisations=None):
    """A user in one of the three roles, on the staff of `organisations` (by default, the
    records' owners)."""
    from django.contrib.auth.models import Group

    user = UserFactory(username=username, is_staff=staff)
    user.groups.add(Group.objects.get(name=role))
    if organisations is None:
        join_owners(user)
    for partner in organisations or ():
        models.Membership.objects.create(user=user, partner=partner)
    return user


class OwnedFactory(factory.django.DjangoModelFactory):
    """A record owned by `default_owner()` unless told otherwise, public unless told."""

    class Meta:
        abstract = True

    visibility = models.Visibility.PUBLIC
    owner = factory.LazyFunction(default_owner)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct horse battery staple")


class SourceFactory(OwnedFactory):
    class Meta:
        model = models.Source

    title = factory.Sequence(lambda n: f"Source document {n}")
    reference = factory.Sequence(lambda n: f"source-{n}.txt")
    text = factory.LazyAttribute(lambda o: f"{o.title}. The ministry met its partners and agreed.")


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Topic
        django_get_or_create = ["slug"]

    name, slug = numbered("Topic")


class PartnerFactory(OwnedFactory):
    class Meta:
        model = models.Partner

    name, slug = numbered("Partner")
    kind = models.PartnerKind.MINISTRY
    country = "KH"


class PersonFactory(OwnedFactory):
    class Meta:
        model = models.Person

    name, slug = numbered("Person")
    partner = factory.SubFactory(PartnerFactory)
    role = "Spokesperson"


class MeetingFactory(OwnedFactory):
    class Meta:
        model = models.Meeting
        skip_postgeneration_save = True

    title, slug = numbered("Meeting")
    date = factory.Sequence(lambda n: datetime.date(2022, 1, 1) + datetime.timedelta(days=n % 700))
    summary = "They discussed cooperation."

    @factory.post_generation
    def partners(self, create, extracted, **kwargs):
        if create:
            self.partners.set(extracted if extracted is not None else [PartnerFactory()])

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if create and extracted:
            self.topics.set(extracted)


class CommitmentFactory(OwnedFactory):
    class Meta:
        model = models.Commitment

    title = factory.Sequence(lambda n: f"Commitment {n}")
    made_by = factory.SubFactory(PartnerFactory)
    date = datetime.date(2022, 11, 1)


class ComplaintCountFactory(OwnedFactory):
    class Meta:
        model = models.ComplaintCount

    received_by = factory.SubFactory(PartnerFactory)
    period_start = datetime.date(2022, 8, 18)
    period_end = datetime.date(2022, 9, 18)
    count = 10


class MilestoneFactory(OwnedFactory):
    class Meta:
        model = models.Milestone

    title, slug = numbered("Milestone")
    kind = models.MilestoneKind.OPERATION
    date = datetime.date(2022, 10, 1)


class CitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Citation

    source = factory.SubFactory(SourceFactory)
    passage = factory.LazyAttribute(lambda o: o.source.text.split(".")[0])
    record = factory.SubFactory(MeetingFactory)
