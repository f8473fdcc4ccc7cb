"""A person's completed sessions (the records), and saving a guided run as one."""

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.formats import date_format
from django.utils.translation import gettext, pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django.views.generic import ListView, TemplateView

from exercises.cache import cached_plan, kept_context
from exercises.guide import GuidedRun, Refusal, refusal
from exercises.models import Routine
from exercises.offline import OfflineRun, read_saved_run, screening_parts

from .. import services
from ..cache import kept_progress_page
from ..forms import PainNotesForm, SessionLogForm
from ..middleware import screening_of
from ..models import CompletedSession
from ..progress import Progress
from ..today import today_of

# Where request.session keeps a visitor's finished run until they sign in.
PENDING_KEY = "pending_guided_save"


def save_pending_session(request):
    """Keep a guided run finished before signing in, if one is waiting."""
    pending = request.session.pop(PENDING_KEY, None)
    if not pending:
        return
    slug = pending["record"]["routine"]
    guide = GuidedRun(request.session, slug)
    plan = cached_plan(slug)
    # The person's screening is read afresh: they have just logged in.
    if plan and refusal(guide, screening_of(request.user), plan):
        messages.warning(
            request,
            gettext(
                "Your health screening asks you to confirm your doctor's clearance "
                "first. Confirm it on the routine's safety check, then save the "
                "session from its finish page."
            ),
        )
        return
    completed, _ = services.guided_session_record(user=request.user, **pending)
    if guide.acknowledged and guide.token == pending["record"]["token"]:
        guide.mark_saved(completed.get_absolute_url())
    messages.success(
        request,
        gettext("Your %(routine)s session was saved to your account.")
        % {"routine": completed.title},
    )


@require_POST
def guided_save(request, slug):
    """The finish page's form: keep a guided run, now or after signing in."""
    plan = cached_plan(slug)
    guide = GuidedRun(request.session, slug)
    refused = refusal(guide, request.screening, plan) if plan else None
    if not plan or refused is Refusal.NOT_ACKNOWLEDGED:
        messages.error(
            request, gettext("There is no finished session of this routine to save.")
        )
        return (
            redirect("exercises:routine", slug=slug)
            if plan
            else redirect("exercises:home")
        )
    if refused:
        messages.info(request, gettext(refused.value))
        return redirect("exercises:guide_start", slug=slug)
    form = PainNotesForm(request.POST, ask_pain_before=guide.pain_before is None)
    if not form.is_valid():
        context = {"form": form, "routine": plan.routine, "guide": guide}
        return render(request, "accounts/guided_save.html", context, status=400)
    flagged = request.screening.flagged_numbers(plan.steps)
    pending = {"record": guide.record(plan.steps, flagged), **form.cleaned_data}
    if not request.user.is_authenticated:
        request.session[PENDING_KEY] = pending
        messages.info(
            request,
            gettext(
                "Create an account or log in, and your session will be saved "
                "to it right after."
            ),
        )
        return redirect("accounts:signup")
    # The run is kept: a second submit of the same finish page carries the
    # same token and finds this completed session instead of recording another.
    completed, created = services.guided_session_record(user=request.user, **pending)
    guide.mark_saved(completed.get_absolute_url())
    if created:
        messages.success(request, gettext("Session saved."))
    else:
        messages.info(request, gettext("This session was already saved."))
    return redirect(completed)


@method_decorator(kept_progress_page, name="dispatch")
class DashboardView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/dashboard.html"

    def get_context_data(self, **kwargs):
        request = self.request
        kept = getattr(request, "progress_totals", None)
        totals = services.totals_get(user=request.user, totals=kept)
        progress = Progress(request.user, totals=totals)
        return super().get_context_data(
            progress=progress,
            today=today_of(request, totals=progress.routine_totals),
            **kept_context(request),
            **kwargs,
        )


@method_decorator(kept_progress_page(query=["page"]), name="dispatch")
class HistoryView(LoginRequiredMixin, ListView):
    template_name = "accounts/history.html"
    context_object_name = "sessions"
    paginate_by = 20

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kept_context(self.request), **kwargs)

    def get_queryset(self):
        return (
            CompletedSession.objects.for_user(self.request.user)
            .select_related("routine")
            .newest_first()
            .with_step_counts()
        )


@login_required
@require_http_methods(["GET", "POST"])
@kept_progress_page
def session_detail(request, pk):
    """A completed session's page, where its pain ratings and notes are edited."""
    # The steps once, for the page and for whether anything was done.
    completed_sessions = (
        CompletedSession.objects.for_user(request.user)
        .select_related("routine")
        .prefetch_related("steps")
    )
    completed = get_object_or_404(completed_sessions, pk=pk)
    # The form edits a copy: a refused edit must not show its unsaved values
    # in the page's header as if they were stored.
    form = PainNotesForm(
        request.POST if request.method == "POST" else None,
        instance=copy.copy(completed),
    )
    if request.method == "POST" and form.is_valid():
        if services.session_update(session=completed, **form.cleaned_data) is None:
            messages.error(
                request,
                gettext("This session was deleted, so your changes were not kept."),
            )
            return redirect("accounts:history")
        messages.success(request, gettext("Your changes were saved."))
        return redirect(completed)
    context = {
        "session": completed,
        "steps": completed.steps.all(),
        "form": form,
        **kept_context(request),
    }
    status = 400 if form.is_bound else 200
    return render(request, "accounts/session.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def session_delete(request, pk):
    completed = get_object_or_404(
        CompletedSession.objects.for_user(request.user).select_related("routine"), pk=pk
    )
    if request.method == "POST":
        GuidedRun.forget_saved(request.session, completed.get_absolute_url())
        services.session_delete(session=completed)
        messages.success(request, gettext("The session was deleted."))
        return redirect("accounts:history")
    return render(request, "accounts/session_delete.html", {"session": completed})


@login_required
@require_http_methods(["GET", "POST"])
def session_log(request):
    form = SessionLogForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        completed, created = services.session_record(
            user=request.user,
            routine=data["routine"],
            started_at=form.started_at,
            finished_at=form.finished_at,
            client_token=data["client_token"],
            pain_before=data["pain_before"],
            pain_after=data["pain_after"],
            notes=data["notes"],
        )
        if created:
            messages.success(request, gettext("Session logged."))
        else:
            messages.info(request, gettext("This session was already logged."))
        return redirect(completed)
    status = 400 if form.is_bound else 200
    return render(request, "accounts/log.html", {"form": form}, status=status)


def offline_screening(screening):
    """
    What the offline guide needs of a person's screening, with the online
    guide's own rules: per routine, whether its safety check must ask for
    their doctor's clearance (``refusal``) and the steps it skips for safety,
    each with the reasons the online step shows. Only routines with something
    to say are listed.
    """
    routines = {}
    if screening.applies:
        for slug in Routine.objects.values_list("slug", flat=True):
            plan = cached_plan(slug)
            if plan is None:
                continue
            skips = {
                str(number): render_to_string(
                    "exercises/_partials/not_recommended.html", {"reasons": reasons}
                )
                for number, _, reasons in screening.flag(plan.steps)
                if reasons
            }
            clearance = screening.needs_clearance(plan.warnings)
            if clearance or skips:
                routines[slug] = {"needsClearance": clearance, "skips": skips}
            if clearance:
                # What the safety check lists as what the doctor clears; the
                # phone sends back the ones the person confirmed (offline_save).
                routines[slug]["clearanceFor"] = [
                    {"pk": warning.pk, "description": warning.description}
                    for warning in screening.clearance_asked_for(plan.warnings)
                ]
    return {
        "applies": sorted(screening.applies),
        # Red flags not cleared hold back every routine, kept or not.
        "needsClearance": screening.needs_clearance([]),
        "routines": routines,
        # Their own parts of the safety check and the routine page.
        **screening_parts(screening),
    }


def clearance_confirmed(data, run, user, screening, plan):
    """
    Whether the person confirmed, on the phone's safety check, their doctor's
    clearance for all that their screening asks the doctor to clear now: the
    warnings it showed (``doctor_cleared_for``, their pks) must cover those
    asked for today. A red flag answered on another device since is not
    cleared by a confirmation that never showed it. Only the person's own run
    (its ``owner``) carries their confirmation.
    """
    if run.owner is None or run.owner != user.pk:
        return False
    # A list of pks when sent: the save's schema saw to it (read_saved_run).
    shown = data.get("doctor_cleared_for", [])
    return screening.clearance_covered_by(plan.warnings, shown)


def offline_refusal(message, status, code):
    return JsonResponse({"error": message, "code": code}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def offline_save(request):
    """
    Where the service worker sends a guided run saved on the phone offline
    (static/js/service-worker.js). GET: a fresh CSRF token for the POST (the
    cookie is HTTP-only) and whether anyone is signed in to save it for.
    Signed in, the GET also gives the person's screening as the offline guide
    needs it (``offline_screening``) and their id, kept on the phone for the
    next time.
    POST, JSON: the run (``OfflineRun``) with its pain ratings and notes,
    refused with 400 unless it fits the offline save's schema as a whole
    (``read_saved_run``);
    one saved on the phone by someone else (its ``owner``) is refused, 409;
    sent twice, its token finds the session the first one recorded. A run
    whose person confirmed their doctor's clearance on the offline safety
    check (``doctor_cleared_for``: what it showed, ``clearance_confirmed``)
    records that clearance with it, as the online safety check's form does
    (accounts:doctor_clearance).
    """
    signed_in = request.user.is_authenticated
    if request.method == "GET":
        answer = {"csrfToken": get_token(request), "signedIn": signed_in}
        if signed_in:
            # Kept with the screening: a run saved offline names its owner.
            answer["person"] = request.user.pk
            answer["screening"] = offline_screening(request.screening)
        return JsonResponse(answer)
    if not signed_in:
        return offline_refusal(
            gettext(
                "Log in, and the session saved on this phone will be added to "
                "your record."
            ),
            401,
            "login",
        )
    # Read and checked whole, against one schema, before any field is used.
    try:
        data = read_saved_run(request)
    except ValidationError as error:
        return offline_refusal(" ".join(error.messages), 400, "invalid")
    plan = cached_plan(data["routine"])
    # Well formed but no longer fitting BackCare: 409, kept on the phone; a
    # 400 would have it deleted there.
    if plan is None:
        return offline_refusal(
            gettext(
                "The routine of the saved session is no longer in BackCare: "
                "it cannot be added as it stands."
            ),
            409,
            "changed",
        )
    try:
        run = OfflineRun(data, plan)
    except ValidationError as error:
        code = error.code if error.code in {"changed", "clock", "too_old"} else None
        return offline_refusal(
            " ".join(error.messages), 409 if code else 400, code or "invalid"
        )
    # Someone else's, on a shared phone: kept there until they log in.
    if run.owner is not None and run.owner != request.user.pk:
        return offline_refusal(
            gettext(
                "This session was saved on this phone by someone else: "
                "it will be added when they log in."
            ),
            409,
            "owner",
        )
    # The person's screening, as it is now: the phone could not ask it.
    refused = refusal(run, request.screening, plan)
    clears = refused is Refusal.NEEDS_CLEARANCE and clearance_confirmed(
        data, run, request.user, request.screening, plan
    )
    if refused and not clears:
        return offline_refusal(gettext(refused.value), 409, "refused")
    fields = ("pain_before", "pain_after", "notes")
    form = PainNotesForm(
        {name: "" if data.get(name) is None else str(data[name]) for name in fields}
    )
    if not form.is_valid():
        problems = [
            gettext("%(field)s: %(error)s")
            % {"field": form.fields[name].label, "error": error}
            for name, errors in form.errors.items()
            for error in errors
        ]
        return offline_refusal(" ".join(problems), 400, "invalid")
    flagged = request.screening.flagged_numbers(plan.steps)
    completed, created = services.offline_session_record(
        user=request.user,
        record=run.record(flagged),
        doctor_cleared=clears,
        **form.cleaned_data,
    )
    when = date_format(
        timezone.localtime(completed.started_at),
        # Translators: a format of Django's date filter: “3 February, 14:05”.
        pgettext("date and time of a session", "j F, H:i"),
    )
    return JsonResponse(
        {
            "message": gettext(
                "Your %(routine)s session from %(when)s was added to your record."
            )
            % {"routine": completed.title, "when": when},
            "url": completed.get_absolute_url(),
            "created": created,
        },
        status=201 if created else 200,
    )
