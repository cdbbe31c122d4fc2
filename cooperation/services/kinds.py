"""One typed create function per record kind: the kind's fields, links and citations as
keyword arguments, written by `record_create`. Change any record with `record_update`."""

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Required, TypedDict, Unpack

from django.contrib.auth.base_user import AbstractBaseUser

from cooperation.models import ComplaintCount, Meeting, Milestone, Partner, Person, Source, Topic
from cooperation.services.citations import CitationInput
from cooperation.services.records import record_create


class VisibleData(TypedDict, total=False):
    visibility: str


class CitedData(VisibleData, total=False):
    citations: Sequence[CitationInput]


class DatedData(TypedDict, total=False):
    date: datetime.date | None
    date_precision: str
    date_inferred: str
    date_note: str


class TopicData(TypedDict, total=False):
    name: Required[str]
    slug: Required[str]
    description: str


class SourceData(VisibleData, total=False):
    title: Required[str]
    reference: Required[str]
    text: Required[str]
    publisher: str
    published_on: datetime.date | None
    url: str
    notes: str


class PartnerData(CitedData, total=False):
    name: Required[str]
    slug: Required[str]
    kind: Required[str]
    short_name: str
    country: str
    parent: Partner | None
    description: str


class PersonData(CitedData, total=False):
    name: Required[str]
    slug: Required[str]
    partner: Required[Partner]
    role: Required[str]


class MeetingData(CitedData, DatedData, total=False):
    title: Required[str]
    slug: Required[str]
    summary: Required[str]
    partners: Required[Iterable[Partner]]
    participants: Iterable[Person]
    topics: Iterable[Topic]
    location: str
    outcome: str


class ComplaintCountData(CitedData, total=False):
    received_by: Required[Partner]
    period_start: Required[datetime.date]
    period_end: Required[datetime.date]
    count: Required[int]
    period_inferred: str
    period_note: str
    approximate: bool
    origin: str
    verified_share: Decimal | None
    verified_share_approximate: bool
    meeting: Meeting | None


class MilestoneData(CitedData, DatedData, total=False):
    title: Required[str]
    slug: Required[str]
    kind: Required[str]
    partners: Iterable[Partner]
    topics: Iterable[Topic]
    description: str


def topic_create(*, user: AbstractBaseUser | None = None, **data: Unpack[TopicData]) -> Topic:
    """Add a focus area of cooperation (topics are not cited)."""
    return record_create(model=Topic, data=data, user=user)


def source_create(*, user: AbstractBaseUser | None = None, **data: Unpack[SourceData]) -> Source:
    """Store a source document with its full text, so passages can be cited from it."""
    return record_create(model=Source, data=data, user=user)


def partner_create(*, user: AbstractBaseUser | None = None, **data: Unpack[PartnerData]) -> Partner:
    """Record an organisation or government, or a unit of one, with the passages naming it."""
    return record_create(model=Partner, data=data, user=user)


def person_create(*, user: AbstractBaseUser | None = None, **data: Unpack[PersonData]) -> Person:
    """Record someone who speaks or acts for a partner, with the passages naming them."""
    return record_create(model=Person, data=data, user=user)


def meeting_create(*, user: AbstractBaseUser | None = None, **data: Unpack[MeetingData]) -> Meeting:
    """Record a meeting with the partners (one at least) and people who took part, its topics
    and its citations."""
    return record_create(model=Meeting, data=data, user=user)


def complaint_count_create(
    *, user: AbstractBaseUser | None = None, **data: Unpack[ComplaintCountData]
) -> ComplaintCount:
    """Record the complaints a partner received over a period, with the passages giving them."""
    return record_create(model=ComplaintCount, data=data, user=user)


def milestone_create(
    *, user: AbstractBaseUser | None = None, **data: Unpack[MilestoneData]
) -> Milestone:
    """Record a dated event that is not a meeting, with the partners concerned, its topics and
    its citations."""
    return record_create(model=Milestone, data=data, user=user)
