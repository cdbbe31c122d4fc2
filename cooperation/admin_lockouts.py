"""Unlocking sign-in from the admin: on django-axes' access attempts, "Unlock" deletes the
selected failure rows; on the users, "Unlock sign-in" deletes every failure row of the selected
users, from any address. Each unlock writes a `sign-in-unlocked` access line
(`cooperation.lockouts.sign_in_unlock`).
"""

from axes.admin import AccessAttemptAdmin
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cooperation import lockouts


def _report_unlocked(modeladmin: admin.ModelAdmin, request, deleted: int) -> None:
    message = ngettext(
        "Deleted %(count)d failed sign-in record: what it locked can sign in again.",
        "Deleted %(count)d failed sign-in records: what they locked can sign in again.",
        deleted,
    ) % {"count": deleted}
    modeladmin.message_user(request, message, messages.SUCCESS)


class UnlockingAccessAttemptAdmin(AccessAttemptAdmin):
    """django-axes' failed sign-in records, with an action that unlocks what they lock."""

    actions = [*AccessAttemptAdmin.actions, "unlock"]

    @admin.action(
        description=_("Unlock: delete the selected failed sign-ins"), permissions=["delete"]
    )
    def unlock(self, request, queryset):
        _report_unlocked(self, request, lockouts.sign_in_unlock(attempts=queryset, request=request))


@admin.action(description=_("Unlock sign-in"), permissions=["change"])
def unlock_sign_in(modeladmin, request, queryset):
    """The users' admin action: delete the selected users' failed sign-ins, from any address."""
    usernames = list(queryset.values_list(get_user_model().USERNAME_FIELD, flat=True))
    attempts = AccessAttempt.objects.filter(username__in=usernames)
    _report_unlocked(
        modeladmin, request, lockouts.sign_in_unlock(attempts=attempts, request=request)
    )


if settings.AXES_ENABLE_ADMIN:
    if admin.site.is_registered(AccessAttempt):
        admin.site.unregister(AccessAttempt)
    admin.site.register(AccessAttempt, UnlockingAccessAttemptAdmin)
