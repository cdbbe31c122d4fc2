from django.urls import include, path

from cooperation import citing, feeds, following_views, views

app_name = "cooperation"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("timeline/", views.timeline, name="timeline"),
    path("timeline/feed/", feeds.TimelineFeed(), name="timeline-feed"),
    path("partners/", views.record_list_view("partner"), name="partner-list"),
    path("partners/<slug:slug>/", views.partner_detail, name="partner-detail"),
    path("meetings/", views.record_list_view("meeting"), name="meeting-list"),
    path("meetings.ics", feeds.meetings_ics, name="meeting-ics"),
    path("meetings/<slug:slug>/", views.meeting_detail, name="meeting-detail"),
    path("commitments/", views.record_list_view("commitment"), name="commitment-list"),
    path("commitments/<int:pk>/", views.commitment_detail, name="commitment-detail"),
    path("complaints/", views.record_list_view("complaintcount"), name="complaintcount-list"),
    path("complaints/<int:pk>/", views.complaintcount_detail, name="complaintcount-detail"),
    path("milestones/", views.record_list_view("milestone"), name="milestone-list"),
    path("milestones/<slug:slug>/", views.milestone_detail, name="milestone-detail"),
    path("coverage/", views.coverage, name="coverage"),
    path("sources/<int:pk>/", views.source_detail, name="source-detail"),
    path("sources/<int:pk>/cite/", citing.cite, name="source-cite"),
    path("sources/<int:pk>/cite/existing/", citing.cite_existing, name="source-cite-existing"),
    path("search/", views.search, name="search"),
    path("account/", views.account, name="account"),
    path("following/", following_views.following_page, name="following"),
    path("following/follow/", following_views.follow, name="follow"),
    path("following/unfollow/", following_views.unfollow, name="unfollow"),
    path(
        "digests/unsubscribe/<str:token>/",
        following_views.unsubscribe,
        name="digest-unsubscribe",
    ),
    path("imports/templates/<str:kind>.xlsx", views.import_template, name="import-template"),
    path("reports/", include("cooperation.reports.urls")),
]
