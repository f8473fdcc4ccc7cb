"""
A routine's guided run on a phone with no connection (issue 18).

Offline the server cannot keep the run (``GuidedRun`` lives in the session),
so the service worker keeps the routine's plan as JSON (``plan_json``: the
catalogue's rendered parts of every guided step, nothing of any person) and
the browser runs the steps itself (static/js/offline/guide.js). The finished
run comes back later as an ``OfflineRun``, checked here against the plan: the
browser says only which step it marked how and when, never what a step is.
"""

import json
import re
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .cache import cached, cached_guide, cached_plan
from .forms import PAIN_ERROR, PAIN_MAX, AcknowledgeForm, run_save_form
from .guide import screened_outcome
from .models import StepOutcome
from .screening import UNSCREENED, Screening

# A token the browser made for the run; "guided:" ones are the server's.
TOKEN = re.compile(r"offline:[0-9a-f]{32}")
# A run recorded offline reaches the server within weeks, not years; a
# phone's clock may be off, but not by days. A step takes minutes, not days.
OLDEST = timedelta(days=90)
CLOCK_SLACK = timedelta(days=1)
LONGEST_STEP = 24 * 60 * 60


def field_html(form, name):
    """One field of ``form`` as the online pages render it (crispy)."""
    return render_to_string(
        "exercises/_partials/form_field.html", {"field": form[name]}
    )


def pain_notes_fields():
    """
    The fields of the form a finish page saves a run with online
    (``run_save_form``), or {} when the site keeps no runs: pain before and
    after on the pain scale, and the notes.
    """
    form = run_save_form(ask_pain_before=True)
    return {name: field_html(form, name) for name in form.fields} if form else {}


def screening_parts(screening):
    """
    A person's own parts of the offline safety check and routine page, as
    their pages online show them: whether they answered the screening (no
    list of red flags then: they were asked each), and what their red flags
    say. Only what there is is given.
    """
    parts = {}
    if screening.answered:
        parts["answered"] = True
    if screening.red_flags:
        parts["seeADoctor"] = render_to_string(
            "exercises/_partials/see_a_doctor.html", {"screening": screening}
        )
    return parts


def plan_json(slug):
    """
    The JSON the offline guide runs ``slug``'s routine from, or None when it
    has no steps; kept in the catalogue's cache like its pages. Every part
    is rendered by the templates the online pages use, for nobody: the
    person's own parts come with their screening (``screening_parts``, and
    the steps' reasons: accounts' ``offline_screening``). Its ``catalogue``
    is the catalogue's version it was built from (None when the shared
    cache is unreachable): the service worker fetches the routine's page
    again only when it changed.
    """

    def build():
        plan = cached_plan(slug)
        pages = cached_guide(slug)
        if plan is None or pages is None:
            return None
        routine = plan.routine
        partials = "exercises/_partials"
        safety = render_to_string(
            f"{partials}/offline_safety.html",
            {"warning_groups": plan.warnings_by_severity()},
        )
        red_flags = (
            render_to_string(f"{partials}/red_flag_list.html", {"plan": plan})
            if plan.red_flags
            else ""
        )
        # A visitor's, and a signed-in person's who has not answered yet.
        invite = {
            who: render_to_string(
                f"{partials}/screening_invite.html", {"screening": screening}
            )
            for who, screening in [
                ("visitor", UNSCREENED),
                ("unanswered", Screening(signed_in=True)),
            ]
        }
        fields = {
            "pain_now": field_html(AcknowledgeForm(), "pain_before"),
            **pain_notes_fields(),
        }
        # A routine whose steps are alternatives asks which one, as online.
        pick = {}
        if routine.steps_are_alternatives:
            form = AcknowledgeForm(alternatives=list(enumerate(plan.steps, start=1)))
            fields = {"step": field_html(form, "step"), **fields}
            pick = {"pick_error": str(form.fields["step"].error_messages["required"])}
        return {
            **pick,
            "slug": routine.slug,
            "title": routine.title,
            "url": routine.get_absolute_url(),
            "guide_url": reverse("exercises:guide_start", args=[routine.slug]),
            "player": static("js/player/main.js"),
            "styles": [static("css/player.css"), static("css/offline.css")],
            "safety": safety,
            "red_flags": red_flags,
            "invite": invite,
            "fields": fields,
            "steps": [
                {
                    "name": step.exercise.name,
                    "dose": step.dose_text,
                    "avoidable": page.avoidable,
                    "html": {
                        "head": page.head,
                        "warnings": page.warnings_html,
                        "player": page.player,
                        "previous": page.previous,
                        "how": page.how,
                    },
                    # Picked among alternatives: the only step of its session.
                    **(
                        {
                            "alone": {
                                "head": page.alone.head,
                                "player": page.alone.player,
                                "previous": page.alone.previous,
                            }
                        }
                        if page.alone
                        else {}
                    ),
                }
                for step, page in zip(plan.steps, pages.steps, strict=True)
            ],
        }

    version, plan = cached("offline-plan", slug, build, with_version=True)
    return None if plan is None else json.dumps({**plan, "catalogue": str(version)})


def _moment(value, name):
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationError(
            _("The %(name)s time is not a date and time."), params={"name": name}
        ) from None
    if timezone.is_naive(moment):
        raise ValidationError(
            _("The %(name)s time has no time zone."), params={"name": name}
        )
    return moment


def _fits_in_time(moment, name):
    # Refused with a code of its own: well formed, kept on the phone (409),
    # not dropped as unreadable (400).
    now = timezone.now()
    if moment > now + CLOCK_SLACK:
        raise ValidationError(
            _(
                "The %(name)s time of the saved session is more than a day ahead: "
                "check the date and time on this phone."
            ),
            code="clock",
            params={"name": name},
        )
    if moment < now - OLDEST:
        raise ValidationError(
            _(
                "The saved session is more than %(days)s days old, "
                "too old to add to your record."
            ),
            code="too_old",
            params={"days": OLDEST.days},
        )


# The body the offline guide sends (static/js/offline/guide.js, record()),
# read as a whole before any part of it is used: its size, how deep it nests
# (the run, a list in it, a step in that list) and each field's type and
# bounds. A key the schema does not name is never read.
SAVE_MAX_BYTES = 64 * 1024
SAVE_MAX_DEPTH = 3
SAVE_MAX_STEPS = 100
# Longer than any note kept (the form that keeps it bounds it again).
SAVE_MAX_TEXT = 10_000
SLUG = re.compile(r"[-a-zA-Z0-9_]{1,50}")
UNREADABLE = _("The saved session is not in a form BackCare reads.")
# What the nesting of a JSON text turns on: a backslash and the character
# it escapes (within a string; outside one the text is no JSON), a quote
# that opens or closes a string, and what opens or closes a list or object.
JSON_SYNTAX = re.compile(r'\\.|["\[\]{}]', re.DOTALL)


def _text(value, longest=64, pattern=None):
    # Text any database keeps: no NUL (PostgreSQL refuses it), no lone
    # surrogate (not UTF-8: nothing encodes it, a cache key included).
    if not isinstance(value, str) or len(value) > longest or "\x00" in value:
        return False
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return pattern is None or bool(pattern.fullmatch(value))


def _whole(value, low, high):
    return (
        isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
    )


def _numbers(value, high):
    return (
        isinstance(value, list)
        and len(value) <= SAVE_MAX_STEPS
        and all(_whole(number, 1, high) for number in value)
    )


def _pain(label):
    return (
        lambda value: value is None or _whole(value, 0, PAIN_MAX),
        format_lazy(_("{field}: {error}"), field=label, error=_(PAIN_ERROR)),
    )


LARGEST_PK = 2**63 - 1
# Each field: whether it must be there, its check, and what the person is
# told when it fails. The steps are checked one by one (_check_steps).
SAVE_SCHEMA = {
    "routine": (
        True,
        lambda v: _text(v, pattern=SLUG),
        _("The saved session names no routine."),
    ),
    "token": (
        True,
        lambda v: _text(v, pattern=TOKEN),
        _("The saved session has no valid token."),
    ),
    "owner": (
        False,
        lambda v: v is None or _whole(v, 1, LARGEST_PK),
        _("The saved session was not saved by a person."),
    ),
    "acknowledged": (
        True,
        lambda v: v is True,
        _("The safety check was not read before this session."),
    ),
    "started": (True, _text, _("The start time is not a date and time.")),
    "finished": (True, _text, _("The finish time is not a date and time.")),
    "pain_before": (False, *_pain(_("Pain before"))),
    "pain_after": (False, *_pain(_("Pain after"))),
    "notes": (
        False,
        lambda v: v is None or _text(v, SAVE_MAX_TEXT),
        _("The notes are not text BackCare can keep."),
    ),
    # The step picked on the safety check, in a routine whose steps are
    # alternatives: the run is that one alone.
    "chosen": (
        False,
        lambda v: v is None or _whole(v, 1, SAVE_MAX_STEPS),
        _("The step picked for the saved session is not a step number."),
    ),
    "overridden": (
        False,
        lambda v: _numbers(v, SAVE_MAX_STEPS),
        _("The steps shown after a clinician's clearance are not step numbers."),
    ),
    "doctor_cleared": (
        False,
        lambda v: v is None or isinstance(v, bool),
        _("The doctor's clearance is neither yes nor no."),
    ),
    "doctor_cleared_for": (
        False,
        lambda v: _numbers(v, LARGEST_PK),
        _("What the doctor cleared is not a list of BackCare's warnings."),
    ),
}


def _check_steps(steps):
    if not isinstance(steps, list) or not steps:
        raise ValidationError(_("The saved session has no steps."))
    if len(steps) > SAVE_MAX_STEPS:
        raise ValidationError(
            _(
                "The saved session has more than %(steps)s steps: "
                "no routine has that many."
            ),
            params={"steps": SAVE_MAX_STEPS},
        )
    for number, step in enumerate(steps, start=1):
        if not isinstance(step, dict):
            raise ValidationError(
                _("Step %(number)s of the saved session is unreadable."),
                params={"number": number},
            )
        if step.get("outcome") not in StepOutcome.values:
            raise ValidationError(
                _("Step %(number)s of the saved session is neither done nor skipped."),
                params={"number": number},
            )
        seconds = step.get("seconds")
        if seconds is not None and not _whole(seconds, 0, LONGEST_STEP):
            raise ValidationError(
                _("Step %(number)s's time is not a number of seconds."),
                params={"number": number},
            )


def check_saved_run(data):
    """
    Raise ValidationError, its message for the person, unless ``data`` (JSON
    already parsed) fits the offline save's schema (SAVE_SCHEMA).
    """
    if not isinstance(data, dict):
        raise ValidationError(UNREADABLE)
    for name, (required, check, message) in SAVE_SCHEMA.items():
        if (name in data or required) and not check(data.get(name)):
            raise ValidationError(message)
    _check_steps(data.get("steps"))


def _nests_deeper_than(text, deepest):
    """
    Whether ``text`` (JSON or not) opens more than ``deepest`` lists and
    objects one inside another, brackets within strings aside: one pass,
    as long as the text whatever it holds.
    """
    depth = 0
    in_string = False
    for token in JSON_SYNTAX.findall(text):
        if token == '"':
            in_string = not in_string
        elif in_string or token[0] == "\\":
            continue
        elif token in "[{":
            depth += 1
            if depth > deepest:
                return True
        else:
            depth -= 1
    return False


def _refuse_constant(name):
    # NaN and Infinity are not JSON; Python's reader would take them.
    raise ValueError(f"{name} is not a number.")


def read_saved_run(stream):
    """
    The run the offline guide sent, read from ``stream`` (the request, a
    file-like object) no further than SAVE_MAX_BYTES and checked whole
    (check_saved_run) before anything reads a field of it. Raises
    ValidationError, its message for the person, when it cannot be read.
    """
    body = stream.read(SAVE_MAX_BYTES + 1)
    if len(body) > SAVE_MAX_BYTES:
        raise ValidationError(
            _(
                "The saved session is larger than %(size)s KB, "
                "more than any session of BackCare."
            ),
            params={"size": SAVE_MAX_BYTES // 1024},
        )
    try:
        text = body.decode()
    except UnicodeDecodeError:
        raise ValidationError(UNREADABLE) from None
    # Checked before parsing: Python's JSON reader recurses, one level a
    # bracket, and a body of brackets would exhaust its stack.
    if _nests_deeper_than(text, SAVE_MAX_DEPTH):
        raise ValidationError(UNREADABLE)
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except ValueError:
        raise ValidationError(UNREADABLE) from None
    check_saved_run(data)
    return data


class OfflineRun:
    """
    A guided run recorded by the browser offline, as ``read_saved_run``
    gives it (checked whole against the save's schema): the same questions
    as ``GuidedRun`` answers (``refusal`` asks it ``acknowledged``), checked
    against ``plan`` (a ``RoutinePlan``): every step in turn, or, in a routine
    whose steps are alternatives, the one picked (``chosen``) alone. Raises
    ValidationError, its message for the person, when the data is not a run
    of this routine; its code
    ("changed", "clock", "too_old") when the run is well formed but cannot be
    added as it stands, so the phone keeps it.
    """

    def __init__(self, data, plan):
        self.plan = plan
        self.token = data["token"]
        # The safety check was read on the phone before step 1.
        self.acknowledged = data["acknowledged"]
        start = pgettext_lazy("the start time", "start")
        finish = pgettext_lazy("the finish time", "finish")
        started = _moment(data["started"], start)
        finished = _moment(data["finished"], finish)
        self.steps = [
            (StepOutcome(step["outcome"]), step.get("seconds"))
            for step in data["steps"]
        ]
        # In a routine whose steps are alternatives, the one picked: the run
        # is that step alone; else every step, in turn.
        self.chosen = data.get("chosen")
        self.numbers = (
            [self.chosen]
            if self.chosen is not None
            else list(range(1, len(self.steps) + 1))
        )
        if self.chosen is not None and len(self.steps) != 1:
            raise ValidationError(
                _(
                    "A session of a routine whose steps are alternatives is one of "
                    "its steps, picked on the safety check; this one has %(count)s."
                ),
                params={"count": len(self.steps)},
            )
        # Steps the person showed anyway, saying their clinician cleared them.
        self.overridden = frozenset(data.get("overridden", []))
        if not self.overridden <= set(self.numbers):
            raise ValidationError(
                _("The steps shown after a clinician's clearance are not step numbers.")
            )
        # Who was signed in when it was saved on the phone (their id, as the
        # GET gave it), or None for a visitor: theirs is for whoever logs in.
        self.owner = data.get("owner")
        # Only once the whole run is known to be readable.
        _fits_in_time(started, start)
        _fits_in_time(finished, finish)
        self.started = started
        self.finished = max(finished, started)
        self._fits(plan)

    def _fits(self, plan):
        # Well formed, but saved from a plan the routine no longer has.
        total = len(plan.steps)
        if plan.routine.steps_are_alternatives and self.chosen is None:
            raise ValidationError(
                _(
                    "The routine has changed since this session was saved: its "
                    "%(total)s steps are now alternatives, and a session is one of "
                    "them, picked on the safety check; the saved session has "
                    "%(saved)s."
                ),
                code="changed",
                params={"total": total, "saved": len(self.steps)},
            )
        if self.chosen is not None and not plan.routine.steps_are_alternatives:
            raise ValidationError(
                _(
                    "The routine has changed since this session was saved: its "
                    "steps are no longer alternatives: a session does all "
                    "%(total)s of them in turn."
                ),
                code="changed",
                params={"total": total},
            )
        if self.chosen is not None and self.chosen > total:
            raise ValidationError(
                _(
                    "The routine has changed since this session was saved: it now "
                    "has %(total)s steps, and the one picked was step %(chosen)s."
                ),
                code="changed",
                params={"total": total, "chosen": self.chosen},
            )
        if self.chosen is None and len(self.steps) != total:
            raise ValidationError(
                _(
                    "The routine has changed since this session was saved: it now "
                    "has %(total)s steps, the saved session %(saved)s."
                ),
                code="changed",
                params={"total": total, "saved": len(self.steps)},
            )

    def record(self, flagged=()):
        """
        What an account needs to keep this run, as ``GuidedRun.record()``;
        ``flagged``: the step numbers the person's screening advises against,
        recorded by the online guide's rule (``screened_outcome``) whatever
        the phone marked: skipped for safety unless overridden.
        """
        steps = []
        for number, (outcome, seconds) in zip(self.numbers, self.steps, strict=True):
            step = self.plan.steps[number - 1]
            outcome = screened_outcome(
                outcome, flagged=number in flagged, cleared=number in self.overridden
            )
            steps.append(
                {
                    "exercise": step.exercise.slug,
                    "name": step.exercise.name,
                    "order": number,
                    "outcome": outcome.value,
                    # As online, where only a flagged step can be overridden.
                    "cleared_by_clinician": number in self.overridden
                    and number in flagged,
                    "seconds": seconds if outcome is StepOutcome.DONE else None,
                }
            )
        return {
            "routine": self.plan.routine.slug,
            "title": self.plan.routine.title,
            "started": self.started.isoformat(),
            "finished": self.finished.isoformat(),
            "token": self.token,
            "pain_before": None,
            "steps": steps,
        }
