"""The three roles, as Django groups, and the permissions each holds."""

from django.contrib.auth.models import Group, Permission

VIEWER = "Viewer"
EDITOR = "Editor"
ADMINISTRATOR = "Administrator"

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


def role_permissions(permission_model=Permission) -> dict[str, list]:
    """Permissions per role: Viewer reads, Editor edits records and asks for reports,
    Administrator also manages users, schedules and deletions."""
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
    administrator = list(
        perms.filter(content_type__app_label__in=["cooperation", "auth", "django_celery_beat"])
    )
    return {VIEWER: viewer, EDITOR: editor, ADMINISTRATOR: administrator}


def roles_sync(group_model=Group, permission_model=Permission) -> None:
    """Create the three groups and give each exactly its permissions; safe to run again."""
    for name, permissions in role_permissions(permission_model).items():
        group, _ = group_model.objects.get_or_create(name=name)
        group.permissions.set(permissions)
