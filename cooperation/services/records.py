"""Create, update and delete a record of any kind with its links and citations, in one
transaction, by every rule of its model. The admin saves through these; so do import and the API.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from cooperation.change_sets import change_set
from cooperation.services.citations import CitationInput, citations_add
from cooperation.services.writing import (
    fields_check,
    history_attribute,
    instance_delete,
)

RecordT = TypeVar("RecordT", bound=models.Model)
Links = Mapping[str, Iterable[models.Model]]


def _links_errors(
    *, model: type[models.Model], links: Mapping[str, list[models.Model]], adding: bool
) -> dict[str, Any]:
    fields = {field.name: field for field in model._meta.many_to_many}
    errors = {
        name: [str(_("There is no such link to set."))] for name in links if name not in fields
    }
    for name, field in fields.items():
        if not field.blank and (adding or name in links) and not links.get(name):
            errors[name] = [str(field.error_messages["blank"])]
    return errors


def record_save(
    *,
    record: RecordT,
    m2m: Links | None = None,
    citations: Sequence[CitationInput] = (),
    user: AbstractBaseUser | None = None,
) -> RecordT:
    """Validate and save a record as it stands, new or changed, set the links named in `m2m`
    and add `citations`, in one transaction and one change (`cooperation.change_sets`). A
    broken rule raises one ValidationError keyed by the fields at fault (a required link left
    empty among them) and writes nothing; the history rows name `user`."""
    links = {name: list(values) for name, values in (m2m or {}).items()}
    errors = _links_errors(model=type(record), links=links, adding=record._state.adding)
    try:
        record.full_clean()
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)
    history_attribute(instance=record, user=user)
    adding = record._state.adding
    with transaction.atomic(), change_set():
        record.save()
        # In field order, as the admin's form saves them: each change is a history row. A new
        # record has no links yet, so an empty list needs no query.
        for field in record._meta.many_to_many:
            if links.get(field.name) or (field.name in links and not adding):
                getattr(record, field.name).set(links[field.name])
        citations_add(record=record, citations=citations, user=user)
    return record


def _data_split(
    *, model: type[models.Model], data: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Iterable[models.Model]], Sequence[CitationInput] | None]:
    links = {field.name for field in model._meta.many_to_many}
    fields = {name: value for name, value in data.items() if name not in links | {"citations"}}
    fields_check(model=model, names=fields)
    m2m = {name: value for name, value in data.items() if name in links}
    return fields, m2m, data.get("citations")


def record_create(
    *, model: type[RecordT], data: Mapping[str, Any], user: AbstractBaseUser | None = None
) -> RecordT:
    """Create a record of any kind from one mapping: its field values, its links by name (a
    meeting's `partners`) and its `citations` (`CitationInput`s); see `record_save`. A name
    that is no field one may set is refused like a broken rule."""
    fields, m2m, citations = _data_split(model=model, data=data)
    return record_save(record=model(**fields), m2m=m2m, citations=citations or (), user=user)


def record_update(
    *, record: RecordT, changes: Mapping[str, Any], user: AbstractBaseUser | None = None
) -> RecordT:
    """Change a record from a mapping like `record_create`'s, in one transaction: the fields and
    links it names and, when it names `citations`, the record's citations become exactly those
    (see `citations_add`)."""
    fields, m2m, citations = _data_split(model=type(record), data=changes)
    for name, value in fields.items():
        setattr(record, name, value)
    with transaction.atomic(), change_set():
        record_save(record=record, m2m=m2m, user=user)
        if citations is not None:
            citations_add(record=record, citations=citations, replace=True, user=user)
    return record


@transaction.atomic
def record_delete(*, record: models.Model, user: AbstractBaseUser | None = None) -> None:
    """Delete a record, its history row attributed to `user`. A record that others still cite
    is refused with a ProtectedError naming them (see `cooperation.admin_protection`)."""
    with change_set():
        instance_delete(instance=record, user=user)
