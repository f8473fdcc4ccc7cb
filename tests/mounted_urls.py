"""The site's URLs mounted under /backcare/, as behind a proxy's path."""

from django.urls import include, path

from backcare_site.urls import handler500

__all__ = ["handler500", "urlpatterns"]

urlpatterns = [path("backcare/", include("backcare_site.urls"))]
