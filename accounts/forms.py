import uuid
from datetime import datetime, timedelta

from django import forms
from django.conf import settings
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordResetForm,
    UserCreationForm,
)
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.dates import WEEKDAYS
from django.utils.html import escape, format_html
from django.utils.translation import gettext_lazy as _

from exercises.cache import cached_ladder
from exercises.forms import PAIN_ERROR, PAIN_HELP, PainScale
from exercises.models import Routine

from .levels import level_of
from .mail import send_later
from .models import CompletedSession, User, find_time_zone

PAIN_ERRORS = {code: _(PAIN_ERROR) for code in ("invalid", "min_value", "max_value")}


def local_time_now():
    """The time of day in the active time zone, to the minute."""
    return timezone.localtime().time().replace(second=0, microsecond=0)


class SignupForm(UserCreationForm):
    email = forms.EmailField(
        label=_("Email (optional)"),
        required=False,
        help_text=_("Only used to reset your password if you forget it."),
    )
    # Health information is special-category data: it is kept only with the
    # person's explicit consent, a box they tick themselves.
    health_data_consent = forms.BooleanField(
        label=_(
            "I agree that BackCare keeps my health information (my screening "
            "answers and pain ratings) to show it back to me."
        ),
        error_messages={
            "required": _(
                "Please tick the box to agree that BackCare keeps your "
                "health information. Without it, BackCare cannot keep your "
                "screening answers or pain ratings, so no account was created."
            )
        },
    )
    # Filled by static/js/timezone.js with the browser's own time zone.
    time_zone = forms.CharField(
        required=False,
        widget=forms.HiddenInput(attrs={"data-browser-time-zone": ""}),
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ["username", "email", "time_zone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["health_data_consent"].help_text = format_html(
            _(
                "Only you can see it, and you can download or delete it at any "
                'time. <a href="{}">How BackCare keeps your data</a>.'
            ),
            reverse("accounts:privacy"),
        )

    def full_clean(self):
        super().full_clean()
        # Only the box was left unticked (a browser that does not check it,
        # or a hand-made POST): the passwords, valid and matching, are given
        # back rather than asked twice more. The page is sent over HTTPS and
        # stored by no cache (the view's never_cache). A password that was
        # refused, or came with another mistake, is typed again, as usual.
        if self.is_bound and set(self.errors) == {"health_data_consent"}:
            for name in ["password1", "password2"]:
                self.fields[name].widget.render_value = True

    def clean_time_zone(self):
        # No script, or a browser that names a zone unknown here: the site's
        # zone, changeable on the profile, rather than a failed sign-up.
        return find_time_zone(self.cleaned_data["time_zone"]) or settings.TIME_ZONE

    def save(self, commit=True):
        # The box is required: a saved sign-up is a consent given now.
        self.instance.health_data_consent_at = timezone.now()
        # Their pages and e-mails in the language they signed up in.
        self.instance.language = translation.get_language()
        return super().save(commit)


class LaterPasswordResetForm(PasswordResetForm):
    """
    Sends its mail after the response, so a known address answers as fast,
    and in the person's language (their profile's), whichever page asked.
    """

    def send_mail(self, subject, body, context, *args, **kwargs):
        language = context["user"].language
        send_later(self.send_in, language, subject, body, context, *args, **kwargs)

    def send_in(self, language, *args, **kwargs):
        with translation.override(language):
            super().send_mail(*args, **kwargs)


class LoginForm(AuthenticationForm):
    def clean(self):
        # AuthenticationForm sets max_length after the field is built, so no
        # validator enforces it; an over-long name would reach django-axes'
        # varchar column on a failed log-in.
        username = self.cleaned_data.get("username") or ""
        if len(username) > self.fields["username"].max_length:
            raise self.get_invalid_login_error()
        return super().clean()


class PainNotesForm(forms.ModelForm):
    """
    A completed session's pain ratings and notes, its fields the model's: the
    one form on a guided run's finish page (named by the GUIDED_RUN_SAVE_FORM
    setting), on a completed session's page (with the session as instance),
    and inside the log form. It never saves anything but an instance given.

    Both ratings are on the pain scale (``PainScale``). On a finish page,
    ``ask_pain_before`` is False when the person said it at the safety check:
    the run keeps that answer and the form asks only pain after.
    """

    class Meta:
        model = CompletedSession
        fields = ["pain_before", "pain_after", "notes"]
        help_texts = {"pain_before": _(PAIN_HELP), "pain_after": _(PAIN_HELP)}
        widgets = {
            "pain_before": PainScale,
            "pain_after": PainScale,
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        error_messages = {"pain_before": PAIN_ERRORS, "pain_after": PAIN_ERRORS}

    def __init__(self, *args, ask_pain_before=True, **kwargs):
        super().__init__(*args, **kwargs)
        if not ask_pain_before:
            del self.fields["pain_before"]
        if self.instance.pk:  # A rating given before may be taken back.
            for name in ["pain_before", "pain_after"]:
                self.fields[name].widget.clearable = True


class SessionLogForm(PainNotesForm):
    """A completed session logged by hand, after the fact; saved by a service."""

    # A date input reads and sends ISO dates only; any other format is
    # discarded by the browser and the field shows up empty.
    date = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        initial=timezone.localdate,
    )
    time = forms.TimeField(
        label=_("Time"),
        required=False,
        help_text=_("When you started. Left empty, the time now is used."),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        initial=local_time_now,
    )
    routine = forms.ModelChoiceField(
        label=_("Routine"),
        queryset=Routine.objects.ladder(),
        empty_label=_("Choose a routine"),
    )
    minutes = forms.IntegerField(
        label=_("Minutes exercised"), required=False, min_value=1, max_value=600
    )
    client_token = forms.CharField(
        widget=forms.HiddenInput,
        max_length=64,
        error_messages={
            "required": _("This form was incomplete. Please fill it in again."),
        },
    )

    field_order = [
        "date",
        "time",
        "routine",
        "minutes",
        "pain_before",
        "pain_after",
        "notes",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client_token"].initial = uuid.uuid4().hex

    def clean_date(self):
        date = self.cleaned_data["date"]
        if date > timezone.localdate():
            raise forms.ValidationError(
                _("The date cannot be in the future."), code="future"
            )
        if date.year < 2000:
            raise forms.ValidationError(
                _("Please enter a date from 2000 on."), code="too_old"
            )
        return date

    def clean(self):
        cleaned_data = super().clean()
        if "date" not in cleaned_data or "time" not in cleaned_data:
            return cleaned_data
        # In the active (the person's) time zone; an empty time is now.
        started_at = timezone.make_aware(
            datetime.combine(
                cleaned_data["date"], cleaned_data["time"] or local_time_now()
            )
        )
        if started_at > timezone.now():
            self.add_error(
                "time",
                forms.ValidationError(
                    _("The time cannot be in the future."), code="future"
                ),
            )
        else:
            cleaned_data["started_at"] = started_at
        return cleaned_data

    @property
    def started_at(self):
        return self.cleaned_data["started_at"]

    @property
    def finished_at(self):
        return self.started_at + timedelta(minutes=self.cleaned_data["minutes"] or 0)


class TimeZoneForm(forms.ModelForm):
    """The profile's time zone section; static/js/timezone.js suggests names."""

    class Meta:
        model = User
        fields = ["time_zone"]
        labels = {"time_zone": _("Time zone")}
        help_texts = {
            "time_zone": _(
                "A name such as Europe/London or America/Los_Angeles, "
                "or a city that names a zone, such as Shanghai."
            )
        }
        widgets = {
            "time_zone": forms.TextInput(
                attrs={
                    "autocomplete": "off",
                    "autocapitalize": "none",
                    "spellcheck": "false",
                    "data-time-zone-names": "",
                }
            )
        }

    def clean_time_zone(self):
        # A name in other capitals, or a city, is the zone it names; anything
        # else is left for the model's validator to refuse with its message.
        text = self.cleaned_data["time_zone"]
        return find_time_zone(text) or text


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(
                _("That password is not right."), code="wrong_password"
            )
        return password


class ScreeningForm(forms.Form):
    """One yes/no question per warning that has a screening question."""

    def __init__(self, *args, questions, answers=(), answered=False, **kwargs):
        super().__init__(*args, **kwargs)
        # Nothing is preselected until the person has answered once: a safety
        # question must not be answered “no” by a click on Save.
        self.questions = {f"condition_{c.pk}": c for c in questions}
        self.answers = frozenset(answers)
        for name, condition in self.questions.items():
            self.fields[name] = forms.TypedChoiceField(
                label=condition.screening_question,
                choices=[("yes", _("Yes")), ("no", _("No"))],
                widget=forms.RadioSelect,
                coerce=lambda value: value == "yes",
                initial=("yes" if condition.pk in answers else "no")
                if answered
                else None,
                # Crispy's templates mark help text safe: an editor's text
                # must be escaped here or it would run as markup.
                help_text=escape(condition.description),
                error_messages={"required": _("Please answer yes or no.")},
            )

    @property
    def red_flag_fields(self):
        """Signs to see a doctor about: asked first."""
        return [self[name] for name, c in self.questions.items() if c.is_red_flag]

    @property
    def warning_fields(self):
        """Questions about the exercises' own warnings."""
        return [self[name] for name, c in self.questions.items() if not c.is_red_flag]

    @property
    def asks_for_clearance(self):
        """Whether a stored “yes” is to a question that says to see a doctor first."""
        return any(
            c.needs_clearance and c.pk in self.answers for c in self.questions.values()
        )

    @property
    def conditions(self):
        """The warnings answered “yes”."""
        return [c for name, c in self.questions.items() if self.cleaned_data[name]]


def strength_routines():
    return Routine.objects.ladder().filter(kind=Routine.Kind.STRENGTH)


class PlanForm(forms.Form):
    """
    A person's plan: the days of the week, the time of day and the level.
    Their weekly target becomes the number of days chosen.
    """

    days = forms.MultipleChoiceField(
        label=_("Days"),
        choices=[(str(number), name) for number, name in WEEKDAYS.items()],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one day of the week.")},
    )
    time = forms.TimeField(
        label=_("Time of day"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"invalid": _("Enter a time such as 18:00.")},
    )
    level = forms.ChoiceField(
        label=_("Your level"),
        help_text=_("The routine you do on your planned days."),
    )

    def __init__(self, *args, ladder=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = [(rung.slug, rung.title) for rung in ladder]

    @classmethod
    def of(cls, user, data=None):
        """The form of ``user``'s plan; the levels from the catalogue's cache."""
        ladder = cached_ladder()
        level = level_of(user, ladder)
        initial = {
            "days": [str(day) for day in user.planned_weekdays],
            "time": user.plan_time,
            "level": level.slug if level else None,
        }
        return cls(data, initial=initial, ladder=ladder)

    def clean_level(self):
        routine = strength_routines().filter(slug=self.cleaned_data["level"]).first()
        if routine is None:
            raise forms.ValidationError(
                _("That routine is no longer in BackCare."), code="no_routine"
            )
        return routine

    @property
    def plan_days(self):
        return "".join(sorted(self.cleaned_data["days"]))


class LevelForm(forms.Form):
    """Accepting a suggested routine as one's level, or saying “not yet”."""

    ACCEPT = "accept"
    DECLINE = "decline"

    answer = forms.ChoiceField(choices=[(ACCEPT, ACCEPT), (DECLINE, DECLINE)])
    routine = forms.ModelChoiceField(
        queryset=strength_routines(), to_field_name="slug", required=False
    )

    def clean(self):
        data = super().clean()
        if data.get("answer") == self.ACCEPT and not data.get("routine"):
            raise forms.ValidationError(
                _("That routine is no longer in BackCare."), code="no_routine"
            )
        return data
