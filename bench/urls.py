"""The app's URLs and one trivial view: the ceiling a page's requests per second are measured
against (the same middleware, no work)."""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as app_urlpatterns


def trivial(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/trivial/", trivial, name="bench-trivial"), *app_urlpatterns]
