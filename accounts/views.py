import copy
import csv
import itertools
import json
import re

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)
from django.views.generic import ListView, TemplateView

from exercises.cache import cached_plan
from exercises.guide import GuidedSession, Refusal, refusal
from exercises.models import Contraindication

from . import services
from .forms import (
    DeleteAccountForm,
    DoctorClearanceForm,
    LaterPasswordResetForm,
    LoginForm,
    PainNotesForm,
    ProfileForm,
    ScreeningForm,
    SessionEditForm,
    SessionLogForm,
    SignupForm,
    TimeZoneForm,
)
from .middleware import screening_of
from .models import CompletedSession
from .progress import Progress
from .throttle import (
    LOGIN_FAILURES_PER_ADDRESS,
    RESET_MAILS_PER_ADDRESS,
    RESET_MAILS_PER_EMAIL,
    client_address,
)

PENDING_KEY = "pending_guided_save"


def save_pending_session(request):
    """Save a guided session finished before signing in, if one is waiting."""
    pending = request.session.pop(PENDING_KEY, None)
    if not pending:
        return
    slug = pending["record"]["routine"]
    guide = GuidedSession(request.session, slug)
    plan = cached_plan(slug)
    # The person's screening is read afresh: they have just logged in.
    if plan and refusal(guide, screening_of(request.user), plan):
        messages.warning(
            request,
            "Your health screening asks you to confirm your doctor's clearance "
            "first. Confirm it on the routine's safety check, then save the "
            "session from its finish page.",
        )
        return
    session, _ = services.guided_session_record(user=request.user, **pending)
    if guide.acknowledged and guide.token == pending["record"]["token"]:
        guide.mark_saved(session.get_absolute_url())
    messages.success(
        request, f"Your {session.routine_title} session was saved to your account."
    )


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("accounts:dashboard")
    form = SignupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome, {user.username}. Your account is ready.")
        save_pending_session(request)
        return redirect("accounts:screening")
    status = 400 if form.is_bound else 200
    return render(request, "registration/signup.html", {"form": form}, status=status)


def locked_out(request, *, address_wide=False):
    context = {"address_wide": address_wide}
    return render(request, "registration/locked_out.html", context, status=429)


class LoginView(auth_views.LoginView):
    authentication_form = LoginForm

    def post(self, request, *args, **kwargs):
        # axes locks one username tried from one address; this, one address
        # trying many usernames.
        if LOGIN_FAILURES_PER_ADDRESS.reached(client_address(request)):
            return locked_out(request, address_wide=True)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        save_pending_session(self.request)
        return response

    def form_invalid(self, form):
        LOGIN_FAILURES_PER_ADDRESS.spend(client_address(self.request))
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """
    At most a few mails an hour per email address and per client address;
    past that the same “check your email” page, and no mail.
    """

    form_class = LaterPasswordResetForm

    def form_valid(self, form):
        email = form.cleaned_data["email"].casefold()
        within = RESET_MAILS_PER_ADDRESS.spend(client_address(self.request))
        if not (RESET_MAILS_PER_EMAIL.spend(email) and within):
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


@require_POST
def guided_save(request, slug):
    """The finish page's form: keep a guided session, now or after signing in."""
    plan = cached_plan(slug)
    guide = GuidedSession(request.session, slug)
    refused = refusal(guide, request.screening, plan) if plan else None
    if not plan or refused is Refusal.NOT_ACKNOWLEDGED:
        messages.error(request, "There is no finished session of this routine to save.")
        return (
            redirect("exercises:routine", slug=slug)
            if plan
            else redirect("exercises:home")
        )
    if refused:
        messages.info(request, refused.value)
        return redirect("exercises:guide_start", slug=slug)
    form = PainNotesForm(request.POST)
    if not form.is_valid():
        context = {"form": form, "routine": plan.routine, "guide": guide}
        return render(request, "accounts/guided_save.html", context, status=400)
    flagged = request.screening.flagged_numbers(plan.steps)
    pending = {"record": guide.record(plan.steps, flagged), **form.cleaned_data}
    if not request.user.is_authenticated:
        request.session[PENDING_KEY] = pending
        messages.info(
            request,
            "Create an account or log in, and your session will be saved to it right after.",
        )
        return redirect("accounts:signup")
    # The guide is kept: a second submit of the same finish page carries the
    # same token and finds this session instead of recording another.
    session, created = services.guided_session_record(user=request.user, **pending)
    guide.mark_saved(session.get_absolute_url())
    if created:
        messages.success(request, "Session saved.")
    else:
        messages.info(request, "This session was already saved.")
    return redirect(session)


class DashboardView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/dashboard.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(progress=Progress(self.request.user), **kwargs)


class HistoryView(LoginRequiredMixin, ListView):
    template_name = "accounts/history.html"
    context_object_name = "sessions"
    paginate_by = 20

    def get_queryset(self):
        return (
            CompletedSession.objects.for_user(self.request.user)
            .newest_first()
            .with_step_counts()
        )


@login_required
@require_http_methods(["GET", "POST"])
def session_detail(request, pk):
    # The steps once, for the page and for whether anything was done.
    sessions = CompletedSession.objects.for_user(request.user).prefetch_related("steps")
    session = get_object_or_404(sessions, pk=pk)
    # The form edits a copy: a refused edit must not show its unsaved values
    # in the page's header as if they were stored.
    form = SessionEditForm(
        request.POST if request.method == "POST" else None,
        instance=copy.copy(session),
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your changes were saved.")
        return redirect(session)
    context = {"session": session, "steps": session.steps.all(), "form": form}
    status = 400 if form.is_bound else 200
    return render(request, "accounts/session.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def session_delete(request, pk):
    session = get_object_or_404(CompletedSession.objects.for_user(request.user), pk=pk)
    if request.method == "POST":
        GuidedSession.forget_saved(request.session, session.get_absolute_url())
        session.delete()
        messages.success(request, "The session was deleted.")
        return redirect("accounts:history")
    return render(request, "accounts/session_delete.html", {"session": session})


@login_required
@require_http_methods(["GET", "POST"])
def session_log(request):
    form = SessionLogForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        session, created = services.session_record(
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
            messages.success(request, "Session logged.")
        else:
            messages.info(request, "This session was already logged.")
        return redirect(session)
    status = 400 if form.is_bound else 200
    return render(request, "accounts/log.html", {"form": form}, status=status)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A spreadsheet that splits on another separator (a “;” in much of Europe)
# starts a new cell after it, quotes or not: a formula may start there too.
FORMULA_AFTER_SEPARATOR = re.compile(r'([,;\t\r\n][ \t]*"?)(?=[=+\-@])')


def csv_cell(value):
    """Neutralise text a spreadsheet would run as a formula, wherever a cell may start."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        text = "'" + text
    return FORMULA_AFTER_SEPARATOR.sub(r"\1'", text)


class Echo:
    def write(self, value):
        return value


CSV_HEADER = [
    "date",
    "started",
    "started_at",
    "routine",
    "duration_minutes",
    "pain_before",
    "pain_after",
    "steps_done",
    "steps_skipped",
    "steps_skipped_for_safety",
    "notes",
]


def csv_rows(sessions, zone):
    """The rows of the CSV export, dates and times in ``zone``."""
    yield CSV_HEADER
    for session in sessions:
        started = timezone.localtime(session.started_at, zone)
        yield [
            csv_cell(value)
            for value in (
                started.date().isoformat(),
                started.strftime("%H:%M"),
                started.isoformat(),
                session.routine_title,
                round(session.duration.total_seconds() / 60, 1),
                session.pain_before,
                session.pain_after,
                session.steps_done,
                session.steps_skipped,
                session.steps_skipped_for_safety,
                session.notes,
            )
        ]


@login_required
@require_safe
def export_csv(request):
    sessions = (
        CompletedSession.objects.for_user(request.user)
        .newest_first()
        .with_step_counts()
        .iterator(chunk_size=500)
    )
    # Every cell quoted; a byte-order mark first, so that Excel reads UTF-8.
    writer = csv.writer(Echo(), quoting=csv.QUOTE_ALL)
    # Written after the middleware has let go of the person's time zone.
    rows = csv_rows(sessions, request.user.zone)
    response = StreamingHttpResponse(
        itertools.chain(["\ufeff"], (writer.writerow(row) for row in rows)),
        content_type="text/csv; charset=utf-8",
    )
    filename = f"backcare-sessions-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def json_chunks(user):
    """Everything kept about the person as one JSON object, a session at a time."""
    # The object without its closing brace; the sessions end it.
    yield json.dumps(user.personal_data())[:-1] + ', "sessions": ['
    sessions = CompletedSession.objects.for_user(user).exported(user.zone)
    for number, session in enumerate(sessions):
        yield ("," if number else "") + "\n" + json.dumps(session)
    yield "\n]}\n"


@login_required
@require_safe
def export_json(request):
    response = StreamingHttpResponse(
        json_chunks(request.user), content_type="application/json"
    )
    filename = f"backcare-data-{timezone.localdate().isoformat()}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class PrivacyView(TemplateView):
    template_name = "accounts/privacy.html"


def screening_form(request, data=None):
    return ScreeningForm(
        data,
        questions=Contraindication.objects.screened(),
        answers=request.screening.applies,
        answered=request.screening.answered,
    )


def render_profile(request, status=200, **forms):
    context = {
        "form": ProfileForm(instance=request.user),
        "time_zone_form": TimeZoneForm(instance=request.user),
        "screening_form": screening_form(request),
        "delete_form": DeleteAccountForm(user=request.user),
        **forms,
    }
    return render(request, "accounts/profile.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def profile(request):
    if request.method == "GET":
        return render_profile(request)
    if "time_zone" in request.POST:
        return time_zone_update(request)
    form = ProfileForm(request.POST, instance=request.user)
    if form.is_valid():
        form.save()
        messages.success(request, "Your weekly target was saved.")
        return redirect("accounts:profile")
    return render_profile(request, status=400, form=form)


def time_zone_update(request):
    """The profile's time zone section, posted on its own."""
    # A copy: a refused name must not show on the page as if it were kept.
    form = TimeZoneForm(request.POST, instance=copy.copy(request.user))
    if not form.is_valid():
        return render_profile(request, status=400, time_zone_form=form)
    form.instance.save(update_fields=["time_zone"])
    messages.success(
        request,
        f"Your time zone is now {form.instance.time_zone}: your dates, your "
        "days and your weeks follow it.",
    )
    return redirect("accounts:profile")


@login_required
@require_http_methods(["GET", "POST"])
def screening(request):
    """The health screening: its own page after sign-up, a section of the profile."""
    from_profile = request.POST.get("from") == "profile"
    form = screening_form(request, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        withdrawn = services.screening_update(
            user=request.user, conditions=form.conditions
        )
        messages.success(request, "Your screening answers were saved.")
        if withdrawn:
            messages.warning(
                request,
                "Your new answers include a reason to see your doctor first: "
                "please confirm your doctor's clearance again before your next "
                "session.",
            )
        return redirect("accounts:profile" if from_profile else "accounts:dashboard")
    if from_profile:
        return render_profile(request, status=400, screening_form=form)
    status = 400 if form.is_bound else 200
    return render(request, "accounts/screening.html", {"form": form}, status=status)


@login_required
@require_POST
def doctor_clearance(request):
    form = DoctorClearanceForm(request.POST)
    next_url = request.POST.get("next", "")
    if not next_url.startswith("/") or not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}
    ):
        next_url = reverse("accounts:profile")
    if form.is_valid():
        services.doctor_clearance_record(user=request.user)
        messages.success(
            request, "Thank you. Your doctor's clearance is noted on your profile."
        )
    else:
        messages.error(request, form.errors["cleared"][0])
    return HttpResponseRedirect(next_url)


@login_required
@require_POST
def account_delete(request):
    form = DeleteAccountForm(request.POST, user=request.user)
    if not form.is_valid():
        return render_profile(request, status=400, delete_form=form)
    services.user_delete(user=request.user)
    request.session.flush()
    messages.success(request, "Your account and every record of it were deleted.")
    return redirect("exercises:home")
