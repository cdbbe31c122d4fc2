"""The rules of sharing, in the database, once every existing record satisfies them."""

import django.db.models.functions.comparison
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("cooperation", "0009_owners_and_audiences")]

    operations = [
        migrations.AddConstraint(
            model_name='commitment',
            constraint=models.CheckConstraint(condition=models.Q(('visibility', 'public'), ('owner__isnull', False), _connector='OR'), name='commitment_owned_unless_public', violation_error_message='Owner: a shared or internal record needs an owner organisation.'),
        ),
        migrations.AddConstraint(
            model_name='complaintcount',
            constraint=models.CheckConstraint(condition=models.Q(('visibility', 'public'), ('owner__isnull', False), _connector='OR'), name='complaintcount_owned_unless_public', violation_error_message='Owner: a shared or internal record needs an owner organisation.'),
        ),
        migrations.AddConstraint(
            model_name='meeting',
            constraint=models.CheckConstraint(condition=models.Q(('visibility', 'public'), ('owner__isnull', False), _connector='OR'), name='meeting_owned_unless_public', violation_error_message='Owner: a shared or internal record needs an owner organisation.'),
        ),
        migrations.AddConstraint(
            model_name='milestone',
            constraint=models.CheckConstraint(condition=models.Q(('visibility', 'public'), ('owner__isnull', False), _connector='OR'), name='milestone_owned_unless_public', violation_error_message='Owner: a shared or internal record needs an owner organisation.'),
        ),
        migrations.AddConstraint(
            model_name='partner',
            constraint=models.CheckConstraint(condition=models.Q(('visibility', 'public'), ('owner__isnull', False), _connector='OR'), name='partner_owned_unless_public', violation_error_message='Owner: a shared or internal record needs an owner organisation.'),
        ),
        migrations.AddConstraint(
            model_name='person',
            constraint=models.CheckConstraint(condition=models.Q(('visibility', 'public'), ('owner__isnull', False), _connector='OR'), name='person_owned_unless_public', violation_error_message='Owner: a shared or internal record needs an owner organisation.'),
        ),
        migrations.AddConstraint(
            model_name='report',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('audience', 'organisation'), ('audience_organisation__isnull', False)), models.Q(models.Q(('audience', 'organisation'), _negated=True), ('audience_organisation__isnull', True)), _connector='OR'), name='report_organisation_with_its_audience', violation_error_message="For the staff of: name an organisation for one organisation's view, and only then."),
        ),
        migrations.AddConstraint(
            model_name='report',
            constraint=models.UniqueConstraint(models.F('kind'), models.F('period_start'), models.F('period_end'), models.F('audience'), django.db.models.functions.comparison.Coalesce('audience_organisation', 0), django.db.models.functions.comparison.Coalesce('partner', 0), name='report_unique_subject'),
        ),
        migrations.AddConstraint(
            model_name='source',
            constraint=models.CheckConstraint(condition=models.Q(('visibility', 'public'), ('owner__isnull', False), _connector='OR'), name='source_owned_unless_public', violation_error_message='Owner: a shared or internal record needs an owner organisation.'),
        ),
    ]
