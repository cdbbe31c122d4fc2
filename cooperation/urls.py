from django.urls import include, path

from cooperation import feeds, views

app_name = "cooperation"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("timeline/", views.timeline, name="timeline"),
    path("timeline/feed/", feeds.TimelineFeed(), name="timeline-feed"),
    path("partners/", views.PartnerListView.as_view(), name="partner-list"),
    path("partners/<slug:slug>/", views.partner_detail, name="partner-detail"),
    path("meetings/", views.MeetingListView.as_view(), name="meeting-list"),
    path("meetings.ics", feeds.meetings_ics, name="meeting-ics"),
    path("meetings/<slug:slug>/", views.meeting_detail, name="meeting-detail"),
    path("commitments/", views.CommitmentListView.as_view(), name="commitment-list"),
    path("commitments/<int:pk>/", views.commitment_detail, name="commitment-detail"),
    path("complaints/", views.ComplaintCountListView.as_view(), name="complaintcount-list"),
    path("complaints/<int:pk>/", views.complaintcount_detail, name="complaintcount-detail"),
    path("milestones/", views.MilestoneListView.as_view(), name="milestone-list"),
    path("milestones/<slug:slug>/", views.milestone_detail, name="milestone-detail"),
    path("sources/<int:pk>/", views.source_detail, name="source-detail"),
    path("search/", views.search, name="search"),
    path("reports/", include("cooperation.reports.urls")),
]
