from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CooperationConfig(AppConfig):
    name = "cooperation"
    verbose_name = _("Cooperation")

    def ready(self):
        # Connect the signal receivers: access log lines, the refusal to delete cited records,
        # the staff flag that follows the admin roles, and the language restored at sign-in.
        from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save
        from simple_history.signals import pre_create_historical_record

        from cooperation import access_log, admin_protection, languages, roles  # noqa: F401
        from cooperation.cache import data_changed, data_version_bump_after_migrate
        from cooperation.change_sets import history_stamp

        # Every committed write to the records moves the data version on (cooperation.cache).
        for signal in (post_save, post_delete, m2m_changed):
            signal.connect(data_changed, dispatch_uid=f"concord-data-{signal}")
        post_migrate.connect(data_version_bump_after_migrate, sender=self)
        # The history rows one save writes share its change key (cooperation.change_sets).
        pre_create_historical_record.connect(history_stamp, dispatch_uid="concord-change-set")
