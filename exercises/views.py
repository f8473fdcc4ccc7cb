from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_http_methods, require_safe
from django.views.generic import DetailView, ListView, TemplateView

from .cache import cache_public_page, cached_steps
from .forms import AcknowledgeForm, StepActionForm
from .guide import GuidedSession, warnings_by_severity
from .models import Contraindication, Exercise, Routine
from .screening import screening_for


@method_decorator(cache_public_page, name="dispatch")
class HomeView(ListView):
    template_name = "exercises/home.html"
    context_object_name = "routines"
    queryset = Routine.objects.ladder().with_exercises()

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            general_warnings=Contraindication.objects.general(), **kwargs
        )


@method_decorator(cache_public_page, name="dispatch")
class RoutineDetailView(DetailView):
    template_name = "exercises/routine.html"
    context_object_name = "routine"
    queryset = Routine.objects.with_steps()

    def get_context_data(self, **kwargs):
        screening = screening_for(self.request)
        return super().get_context_data(
            screening=screening,
            flagged_steps=screening.flag(self.object.steps.all()),
            **kwargs,
        )


@method_decorator(cache_public_page, name="dispatch")
class AboutView(TemplateView):
    template_name = "exercises/about.html"


@method_decorator(cache_public_page, name="dispatch")
class ExerciseDetailView(DetailView):
    template_name = "exercises/exercise.html"
    context_object_name = "exercise"
    queryset = Exercise.objects.with_routines()


def guide_steps_or_404(slug):
    steps = cached_steps(slug)
    if not steps:
        raise Http404("No routine with steps at this address.")
    return steps


@require_http_methods(["GET", "POST"])
def guide_start(request, slug):
    steps = guide_steps_or_404(slug)
    guide = GuidedSession(request.session, slug)
    screening = screening_for(request)
    warning_groups = warnings_by_severity(steps)
    consult = screening.consult_warnings(
        warning for _, warnings in warning_groups for warning, _ in warnings
    )
    needs_clearance = bool(consult) and not screening.doctor_cleared_on
    form = AcknowledgeForm(
        request.POST if request.method == "POST" else None,
        needs_clearance=needs_clearance,
    )
    if request.method == "POST" and form.is_valid():
        guide.start()
        return redirect("exercises:guide_step", slug=slug, number=1)
    context = {
        "routine": steps[0].routine,
        "steps": steps,
        "warning_groups": warning_groups,
        "guide": guide,
        "form": form,
        "screening": screening,
        "consult_warnings": consult,
        "needs_clearance": needs_clearance,
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
    step = steps[number - 1]
    reasons = screening_for(request).reasons_to_avoid(step)
    flagged = bool(reasons) and not guide.is_overridden(number)
    form = StepActionForm(
        request.POST if request.method == "POST" else None,
        flagged=flagged,
        can_override=bool(reasons),
        avoidable=bool(step.avoid_warnings),
    )
    if request.method == "POST" and form.is_valid():
        if form.overrides:
            guide.override(number)
            return redirect("exercises:guide_step", slug=slug, number=number)
        guide.mark(number, form.outcome)
        if number < len(steps):
            return redirect("exercises:guide_step", slug=slug, number=number + 1)
        guide.finish()
        return redirect("exercises:guide_finish", slug=slug)
    context = {
        "routine": step.routine,
        "step": step,
        "number": number,
        "total": len(steps),
        "outcome": guide.outcome(number),
        "reasons": reasons,
        "flagged": flagged,
        "overridden": guide.is_overridden(number),
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
    flagged = screening_for(request).flagged_numbers(steps)
    context = {
        "routine": steps[0].routine,
        "summary": guide.summary(steps, flagged),
        "guide": guide,
    }
    return render(request, "exercises/guide_finish.html", context)
