from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe
from django.views.generic import DetailView, ListView

from .forms import AcknowledgeForm, StepActionForm
from .guide import GuidedSession, warnings_by_severity
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


def guide_steps_or_404(slug, *prefetch):
    steps = list(RoutineStep.objects.in_routine(slug).prefetch_related(*prefetch))
    if not steps:
        raise Http404("No routine with steps at this address.")
    return steps


@require_http_methods(["GET", "POST"])
def guide_start(request, slug):
    steps = guide_steps_or_404(
        slug, "routine__contraindications", "exercise__contraindications"
    )
    guide = GuidedSession(request.session, slug)
    form = AcknowledgeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        guide.start()
        return redirect("exercises:guide_step", slug=slug, number=1)
    context = {
        "routine": steps[0].routine,
        "steps": steps,
        "warning_groups": warnings_by_severity(steps),
        "guide": guide,
        "form": form,
    }
    status = 400 if form.is_bound else 200
    return render(request, "exercises/guide_start.html", context, status=status)


@require_http_methods(["GET", "POST"])
def guide_step(request, slug, number):
    steps = guide_steps_or_404(slug)
    if not 1 <= number <= len(steps):
        raise Http404("This routine has no such step.")
    guide = GuidedSession(request.session, slug)
    if not guide.acknowledged:
        messages.info(request, "Please read the safety check before you start.")
        return redirect("exercises:guide_start", slug=slug)
    form = StepActionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        guide.mark(number, form.outcome)
        if number < len(steps):
            return redirect("exercises:guide_step", slug=slug, number=number + 1)
        return redirect("exercises:guide_finish", slug=slug)
    context = {
        "routine": steps[0].routine,
        "step": steps[number - 1],
        "number": number,
        "total": len(steps),
        "outcome": guide.outcome(number),
        "form": form,
    }
    status = 400 if form.is_bound else 200
    return render(request, "exercises/guide_step.html", context, status=status)


@require_safe
def guide_finish(request, slug):
    steps = guide_steps_or_404(slug)
    guide = GuidedSession(request.session, slug)
    if not guide.acknowledged:
        messages.info(request, "Please read the safety check before you start.")
        return redirect("exercises:guide_start", slug=slug)
    guide.finish()
    context = {
        "routine": steps[0].routine,
        "summary": guide.summary(steps),
        "guide": guide,
    }
    return render(request, "exercises/guide_finish.html", context)
