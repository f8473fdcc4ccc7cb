"""
Being a person on BackCare: signing up and in, resetting a password, the
profile (plan, time zone, screening, deletion), the doctor's
clearance and the privacy page.
"""

import copy

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django.views.generic import TemplateView

from exercises.forms import DoctorClearanceForm
from exercises.models import Contraindication

from .. import services
from ..forms import (
    DeleteAccountForm,
    LaterPasswordResetForm,
    LoginForm,
    PlanForm,
    ScreeningForm,
    SignupForm,
    TimeZoneForm,
)
from ..throttle import (
    LOGIN_FAILURES_PER_ADDRESS,
    RESET_MAILS_PER_ADDRESS,
    RESET_MAILS_PER_EMAIL,
    client_address,
)
from . import language
from .progress import save_pending_session


@require_http_methods(["GET", "POST"])
@never_cache  # A refusal for the consent box alone shows the passwords back.
def signup(request):
    if request.user.is_authenticated:
        return redirect("accounts:dashboard")
    form = SignupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(
            request,
            _("Welcome, %(username)s. Your account is ready.")
            % {"username": user.username},
        )
        save_pending_session(request)
        return redirect("accounts:screening")
    status = 400 if form.is_bound else 200
    return render(request, "registration/signup.html", {"form": form}, status=status)


class LoginView(auth_views.LoginView):
    authentication_form = LoginForm

    def post(self, request, *args, **kwargs):
        # axes locks one username tried from one address; this, one address
        # trying many usernames.
        if LOGIN_FAILURES_PER_ADDRESS.reached(client_address(request)):
            context = {"address_wide": True}
            return render(request, "registration/locked_out.html", context, status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        save_pending_session(self.request)
        return language.signed_in(self.request, response)

    def form_invalid(self, form):
        LOGIN_FAILURES_PER_ADDRESS.spend(client_address(self.request))
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class LogoutView(auth_views.LogoutView):
    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        # Nothing of the person stays in the browser's HTTP cache; the
        # service worker drops the pages it kept when it sees this POST.
        response["Clear-Site-Data"] = '"cache"'
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
        "plan_form": PlanForm.of(request.user),
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
    # The weekly target is the plan's number of days (``plan``): the
    # profile's own form is the time zone's.
    return time_zone_update(request)


def time_zone_update(request):
    """The profile's time zone section, posted on its own."""
    # A copy: a refused name must not show on the page as if it were kept.
    form = TimeZoneForm(request.POST, instance=copy.copy(request.user))
    if not form.is_valid():
        return render_profile(request, status=400, time_zone_form=form)
    services.user_time_zone_update(user=request.user, time_zone=form.instance.time_zone)
    messages.success(
        request,
        _(
            "Your time zone is now %(time_zone)s: your dates, your "
            "days and your weeks follow it."
        )
        % {"time_zone": form.instance.time_zone},
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
        messages.success(request, _("Your screening answers were saved."))
        if withdrawn:
            messages.warning(
                request,
                _(
                    "Your new answers include a reason to see your doctor first: "
                    "please confirm your doctor's clearance again before your next "
                    "session."
                ),
            )
        return redirect("accounts:profile" if from_profile else "accounts:dashboard")
    if from_profile:
        return render_profile(request, status=400, screening_form=form)
    status = 400 if form.is_bound else 200
    return render(request, "accounts/screening.html", {"form": form}, status=status)


@login_required
@require_POST
def doctor_clearance(request):
    """The safety check's clearance form (``DoctorClearanceForm``), kept here."""
    form = DoctorClearanceForm(request.POST)
    next_url = request.POST.get("next", "")
    if not next_url.startswith("/") or not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}
    ):
        next_url = reverse("accounts:profile")
    if form.is_valid():
        services.doctor_clearance_record(user=request.user)
        messages.success(
            request, _("Thank you. Your doctor's clearance is noted on your profile.")
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
    messages.success(request, _("Your account and every record of it were deleted."))
    return redirect("exercises:home")
