from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.functional import SimpleLazyObject
from django.utils.module_loading import import_string
from django.utils.translation import gettext
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods, require_safe
from django.views.generic import ListView, TemplateView

from .cache import (
    cached_exercise_page,
    cached_guide,
    cached_ladder,
    cached_plan,
    cached_routine_page,
    kept_for_visitors,
    kept_page,
)
from .forms import AcknowledgeForm, DoctorClearanceForm, StepActionForm, run_save_form
from .guide import GuidedRun, Refusal, refusal
from .models import Contraindication, Routine, StepOutcome, next_routine
from .offline import plan_json
from .screening import screening_for


def last_routine_id(request):
    """
    The pk of the routine a signed-in person did last, or None. The catalogue
    keeps no one's sessions: the LAST_ROUTINE setting names the callable
    (given the user) of whoever does, the accounts app.
    """
    path = getattr(settings, "LAST_ROUTINE", None)
    if not path or not request.user.is_authenticated:
        return None
    return import_string(path)(request.user)


@method_decorator(kept_for_visitors, name="dispatch")
class HomeView(ListView):
    template_name = "exercises/home.html"
    context_object_name = "routines"
    queryset = Routine.objects.ladder().with_exercises()

    def get_context_data(self, **kwargs):
        # The ladder, fetched already, kept for whoever reads it next: a
        # signed-in person's Today card (a context processor of the app that
        # keeps plans) reads it from the cache.
        cached_ladder(self.object_list)
        # A visitor's page is cached for every visitor: only a signed-in
        # person's own page offers their Today card (``today``, when the
        # context processors give one), or else their last routine, read
        # only then.
        routines, request = self.object_list, self.request
        return super().get_context_data(
            general_warnings=Contraindication.objects.general(),
            screening=screening_for(request),
            next_routine=SimpleLazyObject(
                lambda: next_routine(routines, last_routine_id(request))
            ),
            **kwargs,
        )


@method_decorator(kept_for_visitors, name="dispatch")
class RoutineDetailView(TemplateView):
    template_name = "exercises/routine.html"

    def get_context_data(self, slug, **kwargs):
        version, page = cached_routine_page(slug, with_version=True)
        if page is None:
            raise Http404("No routine at this address.")
        screening = screening_for(self.request)
        guide = GuidedRun(self.request.session, slug)
        return super().get_context_data(
            version=version,
            page=page,
            screening=screening,
            steps=[(card, screening.reasons_to_avoid(card)) for card in page.steps],
            resume_at=guide.resume_at(len(page.steps)),
            **kwargs,
        )

    def render_to_response(self, context):
        variant = (context["page"].slug, context["screening"].key, context["resume_at"])
        return kept_page(
            self.request,
            self.template_name,
            context,
            stamp=context["version"],
            variant=variant,
        )


@method_decorator(kept_for_visitors, name="dispatch")
class AboutView(TemplateView):
    template_name = "exercises/about.html"


@method_decorator(kept_for_visitors, name="dispatch")
class ExerciseDetailView(TemplateView):
    template_name = "exercises/exercise.html"

    def get_context_data(self, slug, **kwargs):
        version, page = cached_exercise_page(slug, with_version=True)
        if page is None:
            raise Http404("No exercise at this address.")
        return super().get_context_data(version=version, page=page, slug=slug, **kwargs)

    def render_to_response(self, context):
        return kept_page(
            self.request,
            self.template_name,
            context,
            stamp=context["version"],
            variant=context["slug"],
        )


def plan_or_404(slug):
    plan = cached_plan(slug)
    if plan is None:
        raise Http404("No routine with steps at this address.")
    return plan


@require_http_methods(["GET", "POST"])
def guide_start(request, slug):
    plan = plan_or_404(slug)
    guide = GuidedRun(request.session, slug)
    screening = screening_for(request)
    needs_clearance = refusal(guide, screening, plan) is Refusal.NEEDS_CLEARANCE
    alternatives = plan.routine.steps_are_alternatives
    form = AcknowledgeForm(
        request.POST if request.method == "POST" else None,
        needs_clearance=needs_clearance,
        alternatives=list(enumerate(plan.steps, start=1)) if alternatives else (),
    )
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data.get("step")
        guide.start(pain_before=form.cleaned_data["pain_before"], chosen=chosen)
        return redirect("exercises:guide_step", slug=slug, number=chosen or 1)
    resume_at = guide.resume_at(len(plan.steps))
    context = {
        "alternatives": alternatives,
        "routine": plan.routine,
        "steps": plan.steps,
        "warning_groups": plan.warnings_by_severity(),
        "plan": plan,
        "guide": guide,
        "resume_at": resume_at,
        # Where the run goes on, as its step's page says (“1 of 1” when picked).
        "resume_place": resume_at and guide.place(resume_at, len(plan.steps)),
        "form": form,
        "screening": screening,
        "clearance_asked_for": screening.clearance_asked_for(plan.warnings),
        "clearance_form": DoctorClearanceForm(),
        "needs_clearance": needs_clearance,
    }
    status = 400 if form.is_bound else 200
    return render(request, "exercises/guide_start.html", context, status=status)


def refuse(request, slug, reason):
    """Back to the safety check, which says what to do."""
    messages.info(request, gettext(reason.value))
    return redirect("exercises:guide_start", slug=slug)


@require_http_methods(["GET", "POST"])
def guide_step(request, slug, number):
    version, pages = cached_guide(slug, with_version=True)
    if pages is None:
        raise Http404("No routine with steps at this address.")
    total = len(pages.steps)
    if not 1 <= number <= total:
        raise Http404("This routine has no such step.")
    guide = GuidedRun(request.session, slug)
    screening = screening_for(request)
    if refused := refusal(guide, screening, pages):
        return refuse(request, slug, refused)
    if not guide.runs(number):  # an alternative set aside for this run
        return redirect("exercises:guide_step", slug=slug, number=guide.chosen)
    # A step picked among alternatives is the only step of its session.
    step = pages.steps[number - 1].of_run(guide)
    position, count = guide.place(number, total)
    reasons = screening.reasons_to_avoid(step)
    flagged = bool(reasons) and not guide.is_overridden(number)
    form = None  # a GET's page has the form's buttons, never its errors
    if request.method == "POST":
        form = StepActionForm(
            request.POST,
            flagged=flagged,
            can_override=bool(reasons),
            avoidable=step.avoidable,
        )
    if form is not None and form.is_valid():
        if form.overrides:
            guide.override(number)
            return redirect("exercises:guide_step", slug=slug, number=number)
        guide.mark(number, form.outcome, seconds=form.cleaned_data["seconds"])
        if following := guide.next_after(number, total):
            return redirect("exercises:guide_step", slug=slug, number=following)
        guide.finish()
        return redirect("exercises:guide_finish", slug=slug)
    context = {
        "step": step,
        "run_token": guide.token,
        "number": number,
        # The run's last step, whose page ends it (main.js).
        "last": guide.last(total),
        "position": position,
        "count": count,
        "outcome": guide.outcome(number),
        "reasons": reasons,
        "flagged": flagged,
        "overridden": guide.is_overridden(number),
        "form": form,
    }
    if form is not None:
        return render(request, "exercises/guide_step.html", context, status=400)
    # Everyone at this step in the same state shares a kept page; the run's
    # token is filled in for each. The step picked, if any, says which of
    # the step's pages it is and where in the run it stands.
    variant = (
        slug,
        number,
        guide.chosen,
        position,
        count,
        context["outcome"],
        tuple(reason.pk for reason in reasons),
        flagged,
        context["overridden"],
    )
    return kept_page(
        request,
        "exercises/guide_step.html",
        context,
        stamp=version,
        variant=variant,
        own={"run_token": guide.token},
    )


@require_safe
def guide_finish(request, slug):
    plan = plan_or_404(slug)
    guide = GuidedRun(request.session, slug)
    screening = screening_for(request)
    if refused := refusal(guide, screening, plan):
        return refuse(request, slug, refused)
    flagged = screening.flagged_numbers(plan.steps)
    summary = guide.summary(plan.steps, flagged)
    context = {
        "routine": plan.routine,
        "summary": summary,
        "exercised": any(outcome is StepOutcome.DONE for _, _, outcome, _ in summary),
        "guide": guide,
        "save_form": None
        if guide.saved_url
        else run_save_form(ask_pain_before=guide.pain_before is None),
    }
    return render(request, "exercises/guide_finish.html", context)


@require_safe
@cache_control(no_cache=True)
def routine_plan(request, slug):
    """
    The routine's plan for the offline guide (exercises/offline.py), kept by
    the service worker when the routine's page is opened: catalogue data only,
    the same for everyone.
    """
    content = plan_json(slug)
    if content is None:
        raise Http404("No routine with steps at this address.")
    return HttpResponse(content, content_type="application/json")


@require_safe
def guide_offline(request, slug, number=None):
    """
    The offline guide's addresses are answered by the service worker; a
    browser without it (or that lost it) is sent to the guide online.
    """
    return redirect("exercises:guide_start", slug=slug)
