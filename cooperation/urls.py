from django.urls import path

from cooperation import views

app_name = "cooperation"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
