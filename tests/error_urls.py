"""The site's URLs plus one view that fails, to see the 500 page a person gets."""

from django.urls import path

from backcare_site.urls import handler500
from backcare_site.urls import urlpatterns as site_urlpatterns

__all__ = ["handler500", "urlpatterns"]


def broken(request):
    raise RuntimeError("a bug")


urlpatterns = [path("broken/", broken), *site_urlpatterns]
