from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CooperationConfig(AppConfig):
    name = "cooperation"
    verbose_name = _("Cooperation")

    def ready(self):
        # Connect the signal receivers: access log lines, the refusal to delete cited records,
        # and the staff flag that follows the admin roles.
        from cooperation import access_log, admin_protection, roles  # noqa: F401
