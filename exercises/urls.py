from django.urls import path

from . import views

app_name = "exercises"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("about/", views.AboutView.as_view(), name="about"),
    path("routines/<slug:slug>/", views.RoutineDetailView.as_view(), name="routine"),
    path("routines/<slug:slug>/guide/", views.guide_start, name="guide_start"),
    path(
        "routines/<slug:slug>/guide/<int:number>/", views.guide_step, name="guide_step"
    ),
    path("routines/<slug:slug>/guide/finish/", views.guide_finish, name="guide_finish"),
    path("exercises/<slug:slug>/", views.ExerciseDetailView.as_view(), name="exercise"),
    path("routines/<slug:slug>/plan.json", views.routine_plan, name="routine_plan"),
    path("routines/<slug:slug>/offline/", views.guide_offline, name="guide_offline"),
    path(
        "routines/<slug:slug>/offline/<int:number>/",
        views.guide_offline,
        name="guide_offline_step",
    ),
    path(
        "routines/<slug:slug>/offline/finish/",
        views.guide_offline,
        name="guide_offline_finish",
    ),
]
