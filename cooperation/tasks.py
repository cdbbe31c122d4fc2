"""Celery tasks: thin, they take a primary key (or nothing, for the schedules) and call a service.

Reliability comes from the settings (late acknowledgement, requeue when a worker dies,
prefetch of one, time limits) and from the services' optimistic claims, which make every
task safe to run twice.
"""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from cooperation.reports import services


@shared_task(
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def render_report(report_id: int) -> str | None:
    """Build one report's PDF; a second run finds it claimed or done and returns."""
    report = services.report_render(report_id=report_id)
    return report.status if report else None


@shared_task(acks_late=True, autoretry_for=(OperationalError, InterfaceError), retry_backoff=True)
def generate_monthly_report() -> list[int]:
    """Celery beat's monthly job: ask for last month's public and internal reports."""
    return [report.pk for report in services.report_request_monthly()]


@shared_task(acks_late=True, autoretry_for=(OperationalError, InterfaceError), retry_backoff=True)
def fail_stuck_reports() -> dict[str, int]:
    """Celery beat's sweep: requeue (or, out of attempts, fail) reports stuck running, and
    send again those stuck queued."""
    return services.reports_fail_stuck()
