from django.db.models import Prefetch
from django.views.generic import DetailView, ListView

from .models import Contraindication, Exercise, Routine, RoutineStep


class HomeView(ListView):
    template_name = "exercises/home.html"
    context_object_name = "routines"
    queryset = Routine.objects.ladder().prefetch_related(
        Prefetch("steps", queryset=RoutineStep.objects.select_related("exercise"))
    )

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            general_warnings=Contraindication.objects.general(), **kwargs
        )


class RoutineDetailView(DetailView):
    template_name = "exercises/routine.html"
    context_object_name = "routine"
    queryset = Routine.objects.with_steps()


class ExerciseDetailView(DetailView):
    template_name = "exercises/exercise.html"
    context_object_name = "exercise"
    queryset = Exercise.objects.prefetch_related(
        "contraindications",
        Prefetch(
            "steps",
            queryset=RoutineStep.objects.select_related("routine").order_by(
                "routine__level", "order"
            ),
        ),
    )
