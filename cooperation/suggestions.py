"""What a new record can start from when it is begun from passages of a source: the people,
partners and topics the passages name, for the editor to keep or remove.

A suggestion is never saved by itself: it is the initial value of a form the editor reads
before saving.
"""

import re
from dataclasses import dataclass, field

from django.db.models import QuerySet

from cooperation.models import Partner, Person, Topic


@dataclass
class Named:
    """The records a text names, by kind, in the order of the lists they are offered in."""

    people: list[Person] = field(default_factory=list)
    partners: list[Partner] = field(default_factory=list)
    topics: list[Topic] = field(default_factory=list)


def _named(text: str, records: QuerySet, *names: str) -> list:
    """The records one of whose `names` (fields) the text contains as whole words, ignoring
    case, in the order the text first names them; names of fewer than three letters are too
    likely to be chance."""
    found = []
    for record in records:
        positions = [
            position
            for name in names
            if len(value := (getattr(record, name) or "").strip()) >= 3
            and (position := _first_position(text, value)) is not None
        ]
        if positions:
            found.append((min(positions), record))
    return [record for _position, record in sorted(found, key=lambda pair: pair[0])]


def _first_position(text: str, value: str) -> int | None:
    match = re.search(rf"(?<!\w){re.escape(value)}(?!\w)", text, flags=re.IGNORECASE)
    return match.start() if match else None


def named_in(passages: list[str], *, user, known: list[Person] = ()) -> Named:
    """The people, partners and topics the user may see that the passages name: people by
    name (and the `known` ones, named in full elsewhere, also by the last word of their name,
    as a text names someone it has introduced), partners by name or short name and as the
    organisations of the people named, topics by name. Three queries, whatever the size of the
    records."""
    text = "\n".join(passages)
    if not text.strip():
        return Named()
    people = _named(text, Person.objects.visible_to(user).only("pk", "name", "partner_id"), "name")
    found = {person.pk for person in people}
    by_surname = [
        (position, person)
        for person in known
        if person.pk not in found
        and len(surname := person.name.split()[-1]) >= 4
        and (position := _first_position(text, surname)) is not None
    ]
    if by_surname:
        placed = [(_first_position(text, person.name) or 0, person) for person in people]
        people = [person for _at, person in sorted([*placed, *by_surname], key=lambda p: p[0])]
    partners = Partner.objects.visible_to(user).only("pk", "name", "short_name")
    named_partners = _named(text, partners, "name", "short_name")
    by_pk = {partner.pk: partner for partner in partners}
    # The organisations of the people named come first, in the order the people are named.
    of_people = [by_pk[person.partner_id] for person in people if person.partner_id in by_pk]
    chosen = {partner.pk: partner for partner in [*of_people, *named_partners]}
    topics = _named(text, Topic.objects.only("pk", "name"), "name")
    return Named(people=people, partners=list(chosen.values()), topics=topics)
