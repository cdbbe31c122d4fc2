"""The API's addresses under /api/: one list and detail per record kind, the schema, the docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from cooperation.api import views

app_name = "api"

# Path converters rather than regular expressions: the no-leak walks fill them in.
router = SimpleRouter(use_regex_path=False)
router.register("partners", views.OrganizationViewSet, basename="partner")
router.register("people", views.PersonViewSet, basename="person")
router.register("memberships", views.MembershipViewSet, basename="membership")
router.register("topics", views.TopicViewSet, basename="topic")
router.register("sources", views.SourceViewSet, basename="source")
router.register("meetings", views.EventViewSet, basename="meeting")
router.register("commitments", views.CommitmentViewSet, basename="commitment")
router.register("complaint-counts", views.ComplaintCountViewSet, basename="complaintcount")
router.register("milestones", views.MilestoneViewSet, basename="milestone")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="api/swagger_ui.html"
        ),
        name="docs",
    ),
    path("", include(router.urls)),
]
