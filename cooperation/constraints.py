"""Checking a record against its model's check constraints in one query.

Django validates each `CheckConstraint` with a query of its own, each in a savepoint: a complaint
count's four rules cost twelve round trips on every save, a third of an import's time. The same
rules, each a column of one SELECT, cost three; the messages, codes and the rules skipped for
excluded fields are Django's.
"""

from contextlib import nullcontext

from django.core.exceptions import FieldError, ValidationError
from django.db import DatabaseError, connections, models, router, transaction
from django.db.models import BooleanField, Q
from django.db.models.functions import Coalesce
from django.db.models.sql import Query
from django.db.models.sql.constants import SINGLE


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


class OneQueryChecks:
    """Model mixin: `full_clean` checks the model's check constraints in one query; its other
    constraints, a model with concrete parents and a check the database cannot evaluate go
    Django's way."""

    def validate_constraints(self, exclude=None):
        constraints = self.get_constraints()  # type: ignore[attr-defined]
        if len(constraints) != 1:
            return super().validate_constraints(exclude)  # type: ignore[misc]
        model, rules = constraints[0]
        checks = [rule for rule in rules if isinstance(rule, models.CheckConstraint)]
        using = router.db_for_write(model, instance=self)
        query, asked = checks_query(self, checks, exclude)  # type: ignore[arg-type]
        errors: dict = {}
        if asked:
            in_atomic_block = connections[using].in_atomic_block
            try:
                with transaction.atomic(using=using) if in_atomic_block else nullcontext():
                    row = query.get_compiler(using=using).execute_sql(SINGLE)
            except DatabaseError:
                return super().validate_constraints(exclude)  # type: ignore[misc]
            for check, met in zip(asked, row, strict=True):
                if not met:
                    errors = ValidationError(
                        check.get_violation_error_message(), code=check.violation_error_code
                    ).update_error_dict(errors)
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
