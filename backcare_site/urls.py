from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from accounts.views import language
from accounts.views.account import LoginView, LogoutView, PasswordResetView

from . import views

admin.site.site_header = _("BackCare administration")
admin.site.site_title = _("BackCare admin")
admin.site.index_title = _("Catalogue and people")

# The addresses that are the same in every language.
site_wide = [
    # First: probes call these many times a minute, and every pattern tried
    # before them costs each call.
    path("livez", views.livez, name="livez"),
    path("healthz", views.healthz, name="healthz"),
    # The language switch (a POST to Django's set_language), the service
    # worker (its scope is the whole site, both languages) and the icon.
    path("i18n/setlang/", language.set_language, name="set_language"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("favicon.ico", views.favicon, name="favicon"),
]

# Every page, in each language.
pages = [
    path("", include("exercises.urls")),
    path("", include("accounts.urls")),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    path(
        "accounts/password_reset/",
        PasswordResetView.as_view(),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    # The installable app's name and description are in its language.
    path("manifest.webmanifest", views.web_manifest, name="manifest"),
    # What the service worker shows for a page it cannot fetch nor has kept.
    path(
        "offline/", TemplateView.as_view(template_name="offline.html"), name="offline"
    ),
    # The player's and the offline guide's words (djangojs.po).
    path("jsi18n/", views.javascript_catalog, name="javascript-catalog"),
    # Before the admin's own: its “View on site” for the catalogue only.
    path(
        "admin/r/<int:content_type_id>/<path:object_id>/",
        admin.site.admin_view(views.view_on_site),
        name="view_on_site",
    ),
    path("admin/", admin.site.urls),
]

# English unprefixed, the other languages under their code
# (/zh-hans/routines/beginner/).
urlpatterns = [
    *site_wide,
    *i18n_patterns(*pages, prefix_default_language=False),
]

urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler500 = "backcare_site.views.server_error"
