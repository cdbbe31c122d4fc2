"""The Celery application, configured from Django settings (CELERY_ namespace)."""

import logging
import os

from celery import Celery, bootsteps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("concord")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class RecoverReportsOnConnect(bootsteps.StartStopStep):
    """Each time a worker (re)connects to the broker, it asks for the report sweep at once, so
    reports queued while the broker was down are built without waiting for beat."""

    requires = {"celery.worker.consumer.tasks:Tasks"}

    def start(self, consumer):
        try:
            consumer.app.send_task("cooperation.tasks.recover_reports")
        except Exception:
            logging.getLogger(__name__).warning(
                "Could not ask for the report sweep.", exc_info=True
            )


app.steps["consumer"].add(RecoverReportsOnConnect)
