"""The three roles, as Django groups, and the permissions each holds."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

VIEWER = "Viewer"
EDITOR = "Editor"
ADMINISTRATOR = "Administrator"

# Roles that work in the admin panel, and so need Django's staff flag.
STAFF_ROLES = {EDITOR, ADMINISTRATOR}

RECORD_MODELS = [
    "partner",
    "person",
    "topic",
    "meeting",
    "commitment",
    "commitmentupdate",
    "complaintcount",
    "milestone",
    "source",
    "citation",
]


# Everything in these apps is the Administrator's: records and reports, users, schedules, API
# tokens, and the failed sign-ins they unlock.
ADMINISTERED_APPS = ["cooperation", "auth", "django_celery_beat", "authtoken", "axes"]


def role_permissions(permission_model=Permission) -> dict[str, list]:
    """Permissions per role: Viewer reads, Editor edits records and asks for reports,
    Administrator also manages users, schedules, API tokens, lockouts and deletions."""
    perms = permission_model.objects.select_related("content_type")

    def codenames(app_label, models, actions):
        return list(
            perms.filter(
                content_type__app_label=app_label,
                codename__in=[f"{action}_{model}" for model in models for action in actions],
            )
        )

    viewer = codenames("cooperation", RECORD_MODELS + ["report"], ["view"])
    editor = (
        viewer
        + codenames("cooperation", RECORD_MODELS, ["add", "change"])
        + codenames("cooperation", ["report"], ["add"])
    )
    administrator = list(perms.filter(content_type__app_label__in=ADMINISTERED_APPS))
    return {VIEWER: viewer, EDITOR: editor, ADMINISTRATOR: administrator}


def roles_sync(group_model=Group, permission_model=Permission) -> None:
    """Create the three groups and give each exactly its permissions; safe to run again."""
    for name, permissions in role_permissions(permission_model).items():
        group, _ = group_model.objects.get_or_create(name=name)
        group.permissions.set(permissions)


@receiver(m2m_changed, sender=get_user_model().groups.through, dispatch_uid="concord_role_staff")
def staff_follows_roles(sender, instance, action, reverse, pk_set, **kwargs):
    """Editors and Administrators work in the admin panel: joining either role grants the
    staff flag; leaving the last of them takes it away (superusers keep theirs). Other
    group changes leave the flag as an administrator set it."""
    if reverse or action not in {"post_add", "post_remove"}:
        return
    staff_group_ids = set(Group.objects.filter(name__in=STAFF_ROLES).values_list("pk", flat=True))
    if not staff_group_ids & set(pk_set or ()):
        return
    is_staff = instance.is_superuser or instance.groups.filter(pk__in=staff_group_ids).exists()
    if instance.is_staff != is_staff:
        instance.is_staff = is_staff
        instance.save(update_fields=["is_staff"])
