"""The monthly report and the stuck-report sweep, as schedules administrators can edit."""

from django.db import migrations

MONTHLY_TASK = "cooperation.tasks.generate_monthly_report"
SWEEP_TASK = "cooperation.tasks.fail_stuck_reports"


def create_schedules(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    first_of_month, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="6", day_of_month="1", month_of_year="*", day_of_week="*",
        timezone="Asia/Phnom_Penh",
    )
    PeriodicTask.objects.get_or_create(
        name="Monthly report (previous month)",
        defaults={"task": MONTHLY_TASK, "crontab": first_of_month, "enabled": True,
                  "description": "On the 1st at 06:00 Phnom Penh time, covering the previous month."},
    )
    every_ten_minutes, _ = IntervalSchedule.objects.get_or_create(every=10, period="minutes")
    PeriodicTask.objects.get_or_create(
        name="Fail reports stuck in running",
        defaults={"task": SWEEP_TASK, "interval": every_ten_minutes, "enabled": True},
    )


def remove_schedules(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(task__in=[MONTHLY_TASK, SWEEP_TASK]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cooperation", "0002_roles"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedules, remove_schedules)]
