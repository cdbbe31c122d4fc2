"""Checking a record against its model's check constraints in one query, each broken rule
named on the field it is about.

Django validates each `CheckConstraint` with a query of its own, each in a savepoint: a complaint
count's four rules cost twelve round trips on every save, a third of an import's time. The same
rules, each a column of one SELECT, cost three; the messages, codes and the rules skipped for
excluded fields are Django's.

Django files a broken check under no field (`__all__`): the admin shows it at the top of a long
form, the API under `non_field_errors`, an import on no column. Here it goes to the field an
editor changes to mend it (`RULE_FIELDS`), where the form shows it beside that field.
"""

from contextlib import nullcontext

from django.core.exceptions import NON_FIELD_ERRORS, FieldError, ValidationError
from django.db import DatabaseError, connections, models, router, transaction
from django.db.models import BooleanField, Q
from django.db.models.functions import Coalesce
from django.db.models.sql import Query
from django.db.models.sql.constants import SINGLE

# The field each rule's error belongs to, by the rule's name less its model's prefix
# (`complaintcount_period_ordered` is the rule `period_ordered`). A mapping rather than an
# argument of each constraint, which would enter its deconstruct() and so a migration.
RULE_FIELDS = {
    "count_not_negative": "count",
    "country_is_iso_code": "country",
    "date_matches_precision": "date",
    "language_known": "language",
    "no_translation_into_its_own_language": "language",
    "owned_unless_public": "owner",
    "period_ordered": "period_end",
    "pillar_known": "pillar",
    "pillar_note_needs_pillar": "pillar_note",
    "share_is_fraction": "verified_share",
}


def violation_field(check: models.CheckConstraint) -> str:
    """The field a broken `check` is reported on: its rule's in `RULE_FIELDS` when the rule
    reads that field (so the field was validated, and is in the form that asked), else none
    (`NON_FIELD_ERRORS`), as Django reports it."""
    field = RULE_FIELDS.get(check.name.partition("_")[2])
    if field is not None and field in Q(check.condition).referenced_base_fields:
        return field
    return NON_FIELD_ERRORS


def checks_query(
    instance: models.Model, checks: list[models.CheckConstraint], exclude: set[str] | None
) -> tuple[Query, list[models.CheckConstraint]]:
    """One query selecting whether `instance` meets each of `checks`, and the checks it holds:
    those naming no excluded field."""
    query = Query(None)
    for name, value in instance._get_field_expression_map(
        meta=instance._meta, exclude=exclude
    ).items():
        query.add_annotation(value, name, select=False)
    asked = []
    for index, check in enumerate(checks):
        condition = Coalesce(Q(check.condition), True, output_field=BooleanField())
        try:
            query.add_annotation(condition, f"_check_{index}")
        except FieldError:
            continue  # a rule on a field excluded from validation, as Django skips it
        asked.append(check)
    return query, asked


def broken_checks(
    instance: models.Model,
    model: type[models.Model],
    checks: list[models.CheckConstraint],
    exclude: set[str] | None,
    using: str,
    *,
    one_query: bool,
) -> list[tuple[models.CheckConstraint, ValidationError]]:
    """The checks `instance` breaks, each with Django's error: asked in one query when
    `one_query`, else, or when the database cannot evaluate that query, one by one as
    Django asks them."""
    if one_query:
        query, asked = checks_query(instance, checks, exclude)
        if not asked:
            return []
        in_atomic_block = connections[using].in_atomic_block
        try:
            with transaction.atomic(using=using) if in_atomic_block else nullcontext():
                row = query.get_compiler(using=using).execute_sql(SINGLE)
        except DatabaseError:
            pass
        else:
            return [
                (
                    check,
                    ValidationError(
                        check.get_violation_error_message(), code=check.violation_error_code
                    ),
                )
                for check, met in zip(asked, row, strict=True)
                if not met
            ]
    broken = []
    for check in checks:
        try:
            check.validate(model, instance, exclude=exclude, using=using)
        except ValidationError as error:
            broken.append((check, error))
    return broken


class OneQueryChecks:
    """Model mixin: `full_clean` checks the model's check constraints in one query (a model
    with concrete parents, and a check the database cannot evaluate, go one by one), each
    broken rule keyed by its field (`violation_field`); its other constraints go Django's way."""

    def validate_constraints(self, exclude=None):
        groups = self.get_constraints()  # type: ignore[attr-defined]
        using = router.db_for_write(type(self), instance=self)
        errors: dict = {}
        for model, rules in groups:
            checks = [rule for rule in rules if isinstance(rule, models.CheckConstraint)]
            for check, error in broken_checks(
                self,  # type: ignore[arg-type]
                model,
                checks,
                exclude,
                using,
                one_query=len(groups) == 1,
            ):
                errors.setdefault(violation_field(check), []).append(error)
            for rule in rules:
                if isinstance(rule, models.CheckConstraint):
                    continue
                try:
                    rule.validate(model, self, exclude=exclude, using=using)
                except ValidationError as error:
                    if getattr(error, "code", None) == "unique" and len(rule.fields) == 1:
                        errors.setdefault(rule.fields[0], []).append(error)
                    else:
                        errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)
