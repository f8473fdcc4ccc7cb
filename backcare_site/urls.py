from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from accounts.views.account import LoginView, LogoutView, PasswordResetView

from . import views

admin.site.site_header = "BackCare administration"
admin.site.site_title = "BackCare admin"
admin.site.index_title = "Catalogue and people"

urlpatterns = [
    # First: probes call these many times a minute, and every pattern tried
    # before them costs each call.
    path("livez", views.livez, name="livez"),
    path("healthz", views.healthz, name="healthz"),
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
    # The installable app: at the root, where browsers look for them and
    # where a service worker's scope covers the whole site.
    path("manifest.webmanifest", views.web_manifest, name="manifest"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("favicon.ico", views.favicon, name="favicon"),
    # What the service worker shows for a page it cannot fetch nor has kept.
    path(
        "offline/", TemplateView.as_view(template_name="offline.html"), name="offline"
    ),
    # Before the admin's own: its “View on site” for the catalogue only.
    path(
        "admin/r/<int:content_type_id>/<path:object_id>/",
        admin.site.admin_view(views.view_on_site),
        name="view_on_site",
    ),
    path("admin/", admin.site.urls),
]

# Editors' pictures, for `make run` only: static() adds nothing when DEBUG is
# off, and in production the reverse proxy serves /media/ from MEDIA_ROOT.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

handler500 = "backcare_site.views.server_error"
