from django.urls import include, path

from cooperation import views

app_name = "cooperation"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("reports/", include("cooperation.reports.urls")),
]
