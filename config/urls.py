from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from cooperation import changes, health, views

urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/setlang/", views.language_set, name="set_language"),
    # For browsers and pages (the admin's) that ask without reading the page's icon link.
    path(
        "favicon.ico",
        RedirectView.as_view(url=f"{settings.STATIC_URL}img/favicon.svg", permanent=True),
    ),
    path("healthz", health.healthz, name="healthz"),
    path("changes/", changes.change_list, name="changes"),
    path("api/", include("cooperation.api.urls")),
    path("", include("cooperation.urls")),
]

handler404 = "cooperation.api.errors.not_found"

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
