"""Report pages, included under /reports/ in the cooperation namespace."""

from django.urls import path

from cooperation.reports import views

urlpatterns = [
    path("", views.report_list, name="report-list"),
    path("request/", views.report_request, name="report-request"),
    path("dossier/<slug:slug>/", views.report_dossier, name="report-dossier"),
    path("brief/<slug:slug>/", views.report_brief, name="report-brief"),
    path("<int:pk>/", views.report_detail, name="report-detail"),
    path("<int:pk>/download/", views.report_download, name="report-download"),
    path("<int:pk>/retry/", views.report_retry, name="report-retry"),
]
