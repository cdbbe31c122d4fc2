"""Create the local administrator account for `make run`, and say how to sign in."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from cooperation.roles import ADMINISTRATOR


class Command(BaseCommand):
    help = "Create a local superuser 'admin' (once) and print how to sign in."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username, **options):
        password_file = settings.BASE_DIR / "var" / "local-admin-password.txt"
        user_model = get_user_model()
        if not user_model.objects.filter(username=username).exists():
            password = secrets.token_urlsafe(12)
            user = user_model.objects.create_superuser(username=username, password=password)
            user.groups.add(Group.objects.get(name=ADMINISTRATOR))
            password_file.parent.mkdir(exist_ok=True)
            password_file.write_text(password + "\n")
            password_file.chmod(0o600)
        if password_file.exists():
            password = password_file.read_text().strip()
            self.stdout.write(
                self.style.SUCCESS(
                    f"Sign in at http://127.0.0.1:8000/admin/ as {username!r} "
                    f"with password {password!r} (kept in {password_file})."
                )
            )
        else:
            self.stdout.write(
                f"User {username!r} already exists; set a new password with "
                f"'python manage.py changepassword {username}'."
            )
