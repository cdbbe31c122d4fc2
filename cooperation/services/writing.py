"""How one row is written: validated by its model, saved, its history attributed to a user."""

from collections.abc import Iterable
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from cooperation.models import Commitment

# Fields a caller may not set: the commitment's status follows its history.
DERIVED_FIELDS: dict[type[models.Model], set[str]] = {Commitment: {"status"}}


def history_attribute(*, instance: models.Model, user: AbstractBaseUser | None) -> None:
    """Name `user` in the history rows the next writes of `instance` make; without a user,
    django-simple-history falls back to the signed-in user of the current request."""
    if user is not None:
        # django-simple-history reads this attribute before the request's user.
        instance._history_user = user  # type: ignore[attr-defined]


def instance_save(*, instance: models.Model, user: AbstractBaseUser | None = None) -> None:
    """Validate one instance with every rule of its model, then save it; a broken rule raises
    a ValidationError keyed by the field at fault and writes nothing."""
    history_attribute(instance=instance, user=user)
    instance.full_clean()
    instance.save()


def instance_delete(*, instance: models.Model, user: AbstractBaseUser | None = None) -> None:
    """Delete one instance, its history row attributed to `user`."""
    history_attribute(instance=instance, user=user)
    instance.delete()


def fields_check(*, model: type[models.Model], names: Iterable[str]) -> None:
    """Refuse names that are not fields a caller may write on `model` (unknown, automatic or
    derived), each error keyed by the name."""
    derived = DERIVED_FIELDS.get(model, set())
    writable = {
        field.name
        for field in model._meta.concrete_fields
        if field.editable and not field.primary_key and field.name not in derived
    }
    errors: dict[str, Any] = {
        name: _("This field is derived from others and cannot be set.")
        if name in derived
        else _("There is no such field to set.")
        for name in names
        if name not in writable
    }
    if errors:
        raise ValidationError(errors)
