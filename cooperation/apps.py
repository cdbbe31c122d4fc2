from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CooperationConfig(AppConfig):
    name = "cooperation"
    verbose_name = _("Cooperation")

    def ready(self):
        # Connect the signal receivers: access log lines and the refusal to delete cited records.
        from cooperation import access_log, audit  # noqa: F401
