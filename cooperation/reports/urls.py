"""Report pages, included under /reports/ in the cooperation namespace."""

urlpatterns = []
