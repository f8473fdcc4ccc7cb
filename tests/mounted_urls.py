"""The site's URLs mounted under /backcare/, as behind a proxy's path."""

from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path

from backcare_site.urls import handler500, pages, site_wide

__all__ = ["handler500", "urlpatterns"]

# i18n_patterns must be at the root of a URLconf, so the two lists are
# mounted one by one.
urlpatterns = [
    path("backcare/", include(site_wide)),
    *i18n_patterns(path("backcare/", include(pages)), prefix_default_language=False),
]
