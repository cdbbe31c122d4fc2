"""Celery tasks: thin, they take a primary key (or nothing, for the schedules) and call a service.

Reliability comes from the settings (late acknowledgement, requeue when a worker dies,
prefetch of one, time limits) and from the services' optimistic claims, which make every
task safe to run twice.
"""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from cooperation import digests
from cooperation.reports import services


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def render_report(self, report_id: int) -> str | None:
    """Build one report's PDF. A second run finds it done and returns; one that finds a live
    worker building it comes back when that worker's lease runs out, to take over if it died."""
    outcome = services.report_render(report_id=report_id, worker=self.request.hostname or "")
    if isinstance(outcome, services.Held):
        if not self.request.is_eager:  # in-process, a countdown would not wait
            services.report_enqueue(report_id, countdown=outcome.seconds_left() + 1)
        return "held"
    return outcome.status if outcome else None


@shared_task(acks_late=True, autoretry_for=(OperationalError, InterfaceError), retry_backoff=True)
def generate_monthly_report() -> list[int]:
    """Celery beat's monthly job: ask for last month's public and internal reports."""
    return [report.pk for report in services.report_request_monthly()]


@shared_task(acks_late=True, autoretry_for=(OperationalError, InterfaceError), retry_backoff=True)
def recover_reports() -> dict[str, int]:
    """Celery beat's sweep, and each worker's first task after it (re)connects to the broker:
    take back builds whose worker died, and send the reports the broker never took."""
    return services.reports_recover()


@shared_task(acks_late=True, autoretry_for=(OperationalError, InterfaceError), retry_backoff=True)
def send_digests(frequency: str) -> dict[str, int]:
    """Celery beat's daily and weekly job: send the digests of this frequency that are due. A
    second run (a retry, or a redelivery after a worker died) sends only those not yet claimed."""
    return digests.digests_send(frequency=frequency)
