from django import forms
from django.conf import settings
from django.forms.renderers import TemplatesSetting
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from .guide import screened_outcome
from .models import StepOutcome

PAIN_MAX = 10
PAIN_CHOICES = [(n, str(n)) for n in range(PAIN_MAX + 1)]
PAIN_ENDS = {0: _("no pain"), PAIN_MAX: _("worst pain imaginable")}
# In English, marked for translation: translated where used, _(PAIN_HELP).
PAIN_HELP = gettext_noop("0 is no pain, 10 the worst pain imaginable.")
PAIN_ERROR = gettext_noop(
    "Choose a number from 0 (no pain) to 10 (worst pain imaginable)."
)
SECONDS_MAX = 24 * 60 * 60


def run_save_form(*, ask_pain_before):
    """
    The form a guided run's finish page offers for keeping the run, unbound,
    or None when the site keeps no runs. The GUIDED_RUN_SAVE_FORM setting
    names it: whoever keeps finished runs (the accounts app) owns the form
    and the view it posts to, and the catalogue names none of its modules.
    ``ask_pain_before`` is False when the person said their pain at the
    safety check already.
    """
    path = getattr(settings, "GUIDED_RUN_SAVE_FORM", None)
    return import_string(path)(ask_pain_before=ask_pain_before) if path else None


class PainScale(forms.widgets.ChoiceWidget):
    """
    The 0–10 numeric rating scale, as it is usually shown: eleven radio
    buttons, “no pain” at 0 and “worst pain imaginable” at 10. Radio buttons
    work without JavaScript; static/css/site.css makes each label a target of
    at least 44×44 px. The one way pain is asked, wherever it is asked.

    A radio button cannot be unticked: where a rating given before may be
    taken back (``clearable``), a “Not rated” choice follows the scale.
    """

    input_type = "radio"
    template_name = "exercises/widgets/pain_scale.html"
    option_template_name = "exercises/widgets/pain_scale_option.html"
    use_fieldset = True
    # The site's template folders, whatever the form renderer reads.
    site_templates = TemplatesSetting()

    def __init__(self, attrs=None, clearable=False):
        super().__init__(attrs, choices=PAIN_CHOICES)
        self.clearable = clearable

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["clearable"] = self.clearable
        context["widget"]["rated"] = any(
            v not in ("", None) for v in context["widget"]["value"]
        )
        return context

    def build_attrs(self, base_attrs, extra_attrs=None):
        # The label is styled, not the radio: a form-control class (as crispy
        # adds) does not suit a radio button.
        attrs = super().build_attrs(base_attrs, extra_attrs)
        attrs.pop("class", None)
        return attrs

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        option["end"] = PAIN_ENDS.get(value, "")
        return option

    def id_for_label(self, id_, index=None):
        # As RadioSelect: the group has no element a label points to.
        return "" if index is None else super().id_for_label(id_, index)

    def render(self, name, value, attrs=None, renderer=None):
        return super().render(name, value, attrs, renderer=self.site_templates)


class AcknowledgeForm(forms.Form):
    acknowledged = forms.BooleanField(
        label=_("I have read these warnings"),
        error_messages={
            "required": _("Please confirm that you have read the warnings.")
        },
    )
    # An optional answer on the pain scale: a number from 0 to 10, or None.
    pain_before = forms.TypedChoiceField(
        label=_("Pain now (before you start)"),
        choices=PAIN_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        widget=PainScale,
        help_text=_(PAIN_HELP),
        error_messages={"invalid_choice": _(PAIN_ERROR)},
    )

    def __init__(self, *args, needs_clearance=False, alternatives=(), **kwargs):
        """``alternatives``: (number, step) of a routine whose steps are
        alternatives; the person picks the one this session runs."""
        self.needs_clearance = needs_clearance
        super().__init__(*args, **kwargs)
        if alternatives:
            self.fields["step"] = forms.TypedChoiceField(
                label=_("Which one today?"),
                choices=[
                    (
                        number,
                        _("%(exercise)s, %(dose)s")
                        % {"exercise": step.exercise.name, "dose": step.dose_text},
                    )
                    for number, step in alternatives
                ],
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Choose which one you will do today."),
                    "invalid_choice": _("Choose which one you will do today."),
                },
            )
            self.order_fields(["step"])

    def clean(self):
        if self.needs_clearance:
            raise forms.ValidationError(
                _(
                    "Your screening says to talk to your doctor first: please "
                    "confirm that your doctor has cleared you before you start."
                ),
                code="needs_clearance",
            )
        return super().clean()


class DoctorClearanceForm(forms.Form):
    """
    The person confirms their doctor's clearance: shown on a routine's safety
    check when their screening asks for it, kept by whoever knows people.
    """

    cleared = forms.BooleanField(
        label=_("My doctor has cleared me to do these exercises"),
        error_messages={"required": _("Please tick the box to confirm.")},
    )


class StepActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[
            ("done", _("Done")),
            ("skip", _("Skip")),
            ("skip_safety", _("Skip this exercise")),
            ("override", _("Show it anyway")),
        ],
        error_messages={
            "invalid_choice": _("Choose “Done” or “Skip”."),
            "required": _("Choose “Done” or “Skip”."),
        },
    )
    # Filled by the player with the time spent on the step (the stopwatch's
    # may run past its target); empty without JavaScript.
    seconds = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=SECONDS_MAX,
        widget=forms.HiddenInput,
        error_messages={
            "invalid": _(
                "The time on this step was not a number of seconds, so "
                "nothing was marked. Please press the button again."
            ),
            "min_value": _(
                "The time on this step cannot be negative, so nothing "
                "was marked. Please press the button again."
            ),
            "max_value": _(
                "The time on this step was more than a day, so nothing "
                "was marked. Please press the button again."
            ),
        },
    )

    def __init__(
        self, *args, flagged=False, can_override=False, avoidable=False, **kwargs
    ):
        # Flagged: the person's screening advises against this step and they
        # have not said their clinician cleared them. Avoidable: the step has
        # an AVOID warning, which offers “Skip this exercise”.
        self.flagged = flagged
        self.can_override = can_override
        self.avoidable = avoidable
        super().__init__(*args, **kwargs)

    def clean_action(self):
        action = self.cleaned_data["action"]
        if action == "override" and not self.can_override:
            raise forms.ValidationError(
                _("This step is not flagged by your screening."),
                code="nothing_to_override",
            )
        if action == "skip_safety" and not self.avoidable:
            raise forms.ValidationError(
                _("This step has no warning to skip it for."),
                code="nothing_to_avoid",
            )
        if action == "done" and self.outcome_of(action) is not StepOutcome.DONE:
            raise forms.ValidationError(
                _(
                    "This exercise is not recommended for you. Skip it, or confirm "
                    "that your clinician has cleared you first."
                ),
                code="flagged",
            )
        return action

    @property
    def overrides(self):
        return self.cleaned_data["action"] == "override"

    def outcome_of(self, action):
        """What ``action`` records the step as, by the one rule for flagged steps."""
        marked = {
            "done": StepOutcome.DONE,
            "skip_safety": StepOutcome.SKIPPED_FOR_SAFETY,
        }.get(action, StepOutcome.SKIPPED)
        return screened_outcome(marked, flagged=self.flagged)

    @property
    def outcome(self):
        return self.outcome_of(self.cleaned_data["action"])
