from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CooperationConfig(AppConfig):
    name = "cooperation"
    verbose_name = _("Cooperation")

    def ready(self):
        # Connect the signal receivers: access log lines, the refusal to delete cited records,
        # the staff flag that follows the admin roles, and the language restored at sign-in.
        from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

        from cooperation import access_log, admin_protection, languages, roles  # noqa: F401
        from cooperation.cache import data_changed, data_version_bump_after_migrate

        # Every committed write to the records moves the data version on (cooperation.cache).
        for signal in (post_save, post_delete, m2m_changed):
            signal.connect(data_changed, dispatch_uid=f"concord-data-{signal}")
        post_migrate.connect(data_version_bump_after_migrate, sender=self)
