"""The daily and weekly digests, as schedules administrators can edit."""

import json

from django.db import migrations

DIGEST_TASK = "cooperation.tasks.send_digests"


def create_schedules(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_morning, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="7", day_of_month="*", month_of_year="*", day_of_week="*",
        timezone="Asia/Phnom_Penh",
    )
    monday_morning, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="7", day_of_month="*", month_of_year="*", day_of_week="1",
        timezone="Asia/Phnom_Penh",
    )
    PeriodicTask.objects.get_or_create(
        name="Daily digests",
        defaults={"task": DIGEST_TASK, "crontab": every_morning, "enabled": True,
                  "kwargs": json.dumps({"frequency": "daily"}),
                  "description": "At 07:00 Phnom Penh time, covering the day before."},
    )
    PeriodicTask.objects.get_or_create(
        name="Weekly digests",
        defaults={"task": DIGEST_TASK, "crontab": monday_morning, "enabled": True,
                  "kwargs": json.dumps({"frequency": "weekly"}),
                  "description": "On Mondays at 07:00 Phnom Penh time, covering the week before."},
    )


def remove_schedules(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(task=DIGEST_TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cooperation", "0020_follow_up"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
