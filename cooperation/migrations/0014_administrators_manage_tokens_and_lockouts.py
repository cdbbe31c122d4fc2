"""Administrators issue and revoke API tokens and unlock sign-ins: the roles synced again."""

import importlib

from django.db import migrations

create_roles = importlib.import_module("cooperation.migrations.0002_roles").create_roles


class Migration(migrations.Migration):
    dependencies = [
        ("cooperation", "0013_report_leases"),
        ("authtoken", "0004_alter_tokenproxy_options"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
