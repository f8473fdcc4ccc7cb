from django.urls import path

from . import views

app_name = "accounts"

urlpatterns = [
    path("accounts/signup/", views.signup, name="signup"),
    path("accounts/profile/", views.profile, name="profile"),
    path("accounts/delete/", views.account_delete, name="delete"),
    path("accounts/screening/", views.screening, name="screening"),
    path("accounts/doctor-clearance/", views.doctor_clearance, name="doctor_clearance"),
    path("progress/", views.DashboardView.as_view(), name="dashboard"),
    path("progress/history/", views.HistoryView.as_view(), name="history"),
    path("progress/log/", views.session_log, name="log"),
    path("progress/sessions/<int:pk>/", views.session_detail, name="session"),
    path(
        "progress/sessions/<int:pk>/delete/",
        views.session_delete,
        name="session_delete",
    ),
    path("progress/export.csv", views.export_csv, name="export"),
    path("progress/export.json", views.export_json, name="export_json"),
    path("privacy/", views.PrivacyView.as_view(), name="privacy"),
    path("progress/save/<slug:slug>/", views.guided_save, name="guided_save"),
]
