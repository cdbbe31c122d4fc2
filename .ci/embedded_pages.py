"""Signed-in pages on the embedded path (SQLite, no broker): a partner's officer and an
administrator each open the main pages; any answer but 200 fails the run.

Run as `manage.py shell < .ci/embedded_pages.py` on a database with the seed loaded.
"""

from django.contrib.auth import get_user_model
from django.test import Client
from django.test.utils import override_settings

from cooperation.models import Membership, Partner

User = get_user_model()
officer = User.objects.create_user("ci-officer", password="ci-only-password-1")
Membership.objects.create(user=officer, partner=Partner.objects.get(slug="iom-asia-pacific"))
administrator = User.objects.create_superuser("ci-admin", password="ci-only-password-2")
PAGES = ["/", "/timeline/", "/partners/", "/meetings/", "/commitments/", "/complaints/",
         "/milestones/", "/search/?q=trafficking", "/reports/", "/changes/", "/account/",
         "/partners/ministry-of-interior/", "/meetings/?_export=csv"]  # fmt: skip
ADMIN_PAGES = ["/admin/cooperation/meeting/", "/admin/cooperation/partner/", "/admin/auth/user/"]
failed = []
with override_settings(ALLOWED_HOSTS=["testserver"]):
    for user, pages in ((officer, PAGES), (administrator, PAGES + ADMIN_PAGES)):
        client = Client()
        client.force_login(user)
        for path in pages:
            status = client.get(path).status_code
            print(f"GET {path} as {user.username} -> {status}")
            if status != 200:
                failed.append(f"{path} as {user.username}: {status}")
if failed:
    raise SystemExit("Signed-in pages failed on the embedded path: " + "; ".join(failed))
