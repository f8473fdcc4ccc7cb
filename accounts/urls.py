from django.urls import path

from .views import account, export, plan, progress

app_name = "accounts"

urlpatterns = [
    path("accounts/signup/", account.signup, name="signup"),
    path("accounts/profile/", account.profile, name="profile"),
    path("accounts/delete/", account.account_delete, name="delete"),
    path("accounts/screening/", account.screening, name="screening"),
    path(
        "accounts/doctor-clearance/",
        account.doctor_clearance,
        name="doctor_clearance",
    ),
    path("privacy/", account.PrivacyView.as_view(), name="privacy"),
    path("progress/", progress.DashboardView.as_view(), name="dashboard"),
    path("progress/plan/", plan.plan, name="plan"),
    path("progress/plan/level/", plan.level, name="level"),
    path("progress/history/", progress.HistoryView.as_view(), name="history"),
    path("progress/log/", progress.session_log, name="log"),
    path("progress/sessions/<int:pk>/", progress.session_detail, name="session"),
    path(
        "progress/sessions/<int:pk>/delete/",
        progress.session_delete,
        name="session_delete",
    ),
    path("progress/save/<slug:slug>/", progress.guided_save, name="guided_save"),
    path("progress/save-offline/", progress.offline_save, name="offline_save"),
    path("progress/export.csv", export.export_csv, name="export"),
    path("progress/export.json", export.export_json, name="export_json"),
]
