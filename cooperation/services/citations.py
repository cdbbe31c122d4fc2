"""Writes of citations: the verbatim source passages a record rests on."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models, transaction

from cooperation.models import Citation, Person, Source
from cooperation.services.writing import instance_delete, instance_save


@dataclass(frozen=True)
class CitationInput:
    """One passage to cite: its source, the words, and who said them when it is a quote."""

    source: Source
    passage: str
    quoted_person: Person | None = None


def citation_create(
    *,
    record: models.Model,
    source: Source,
    passage: str,
    quoted_person: Person | None = None,
    user: AbstractBaseUser | None = None,
) -> Citation:
    """Cite a passage for a record; refused when the words are not verbatim in the source."""
    citation = Citation(record=record, source=source, passage=passage, quoted_person=quoted_person)
    instance_save(instance=citation, user=user)
    return citation


@transaction.atomic
def citations_add(
    *,
    record: models.Model,
    citations: Sequence[CitationInput],
    replace: bool = False,
    user: AbstractBaseUser | None = None,
) -> list[Citation]:
    """Add citations to a record, all or none, every error keyed `citations.<index>.<field>`.
    With `replace` the record's citations become exactly these: those already there stay (with
    their history) and the others go, so giving the same citations twice changes nothing."""
    wanted = dict(enumerate(citations))
    kept: list[Citation] = []
    current = Citation.objects.filter(
        content_type=ContentType.objects.get_for_model(record), object_id=record.pk
    ).select_related("source", "quoted_person")
    for citation in current if replace else ():
        same = CitationInput(
            source=citation.source, passage=citation.passage, quoted_person=citation.quoted_person
        )
        index = next((i for i, item in wanted.items() if item == same), None)
        if index is None:
            instance_delete(instance=citation, user=user)
        else:
            kept.append(citation)
            del wanted[index]
    errors: dict[str, list[str]] = {}
    for index, item in wanted.items():
        try:
            kept.append(
                citation_create(
                    record=record,
                    source=item.source,
                    passage=item.passage,
                    quoted_person=item.quoted_person,
                    user=user,
                )
            )
        except ValidationError as error:
            errors |= {f"citations.{index}.{name}": m for name, m in error.message_dict.items()}
    if errors:
        raise ValidationError(errors)
    return kept
