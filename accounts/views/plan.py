"""A person's plan (days, time, level) and their answer to a suggested level."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods, require_POST

from exercises.cache import cached_ladder

from .. import levels, services
from ..forms import LevelForm, PlanForm


def safe_next(request, default):
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if next_url.startswith("/") and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}
    ):
        return next_url
    return default


@login_required
@require_http_methods(["GET", "POST"])
def plan(request):
    """The plan's page, offered after a first session; the profile shows the form too."""
    form = PlanForm.of(request.user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        services.plan_update(
            user=request.user,
            days=form.plan_days,
            time=data["time"],
            level=data["level"],
        )
        messages.success(
            request,
            gettext("Your plan was saved: %(count)s days a week.")
            % {"count": len(form.plan_days)},
        )
        return redirect(safe_next(request, "accounts:dashboard"))
    context = {"form": form, "next": safe_next(request, "")}
    status = 400 if form.is_bound else 200
    return render(request, "accounts/plan.html", context, status=status)


@login_required
@require_POST
def level(request):
    """Accept a suggested level, or say “not yet” to it."""
    form = LevelForm(request.POST)
    back = safe_next(request, "accounts:dashboard")
    if not form.is_valid():
        messages.error(
            request,
            " ".join(form.non_field_errors())
            or gettext("Your answer could not be read. Please try again."),
        )
        return redirect(back)
    if form.cleaned_data["answer"] == LevelForm.ACCEPT:
        routine = form.cleaned_data["routine"]
        services.level_update(user=request.user, level=routine)
        messages.success(
            request,
            gettext("Your level is now the %(routine)s routine.")
            % {"routine": routine.title},
        )
    else:
        person = request.user
        level = levels.level_of(person, cached_ladder())
        record = levels.level_record(levels.routine_totals(person), level)
        services.level_decline(user=person, count=record.count)
        messages.info(
            request,
            gettext("Not yet, then: BackCare will ask again in a few sessions."),
        )
    return redirect(back)
