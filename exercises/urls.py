from django.urls import path
from django.views.generic import TemplateView

from . import views

app_name = "exercises"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path(
        "about/",
        TemplateView.as_view(template_name="exercises/about.html"),
        name="about",
    ),
    path("routines/<slug:slug>/", views.RoutineDetailView.as_view(), name="routine"),
    path("exercises/<slug:slug>/", views.ExerciseDetailView.as_view(), name="exercise"),
]
