from django.http import HttpResponse
from django.urls import path


def ok(request):
    return HttpResponse("ok\n", content_type="text/plain")


# At /livez, where the harness (tests/servers.py) asks whether a server is up.
urlpatterns = [path("livez", ok)]
