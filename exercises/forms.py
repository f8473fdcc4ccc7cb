from django import forms
from django.conf import settings
from django.utils.module_loading import import_string

from .models import StepOutcome


def run_save_form():
    """
    The form a guided run's finish page offers for keeping the run, unbound,
    or None when the site keeps no runs. The GUIDED_RUN_SAVE_FORM setting
    names it: whoever keeps finished runs (the accounts app) owns the form
    and the view it posts to, and the catalogue names none of its modules.
    """
    path = getattr(settings, "GUIDED_RUN_SAVE_FORM", None)
    return import_string(path)() if path else None


class AcknowledgeForm(forms.Form):
    acknowledged = forms.BooleanField(
        label="I have read these warnings",
        error_messages={"required": "Please confirm that you have read the warnings."},
    )

    def __init__(self, *args, needs_clearance=False, **kwargs):
        self.needs_clearance = needs_clearance
        super().__init__(*args, **kwargs)

    def clean(self):
        if self.needs_clearance:
            raise forms.ValidationError(
                "Your screening says to talk to your doctor first: please confirm "
                "that your doctor has cleared you before you start.",
                code="needs_clearance",
            )
        return super().clean()


class DoctorClearanceForm(forms.Form):
    """
    The person confirms their doctor's clearance: shown on a routine's safety
    check when their screening asks for it, kept by whoever knows people.
    """

    cleared = forms.BooleanField(
        label="My doctor has cleared me to do these exercises",
        error_messages={"required": "Please tick the box to confirm."},
    )


class StepActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[
            ("done", "Done"),
            ("skip", "Skip"),
            ("skip_safety", "Skip this exercise"),
            ("override", "Show it anyway"),
        ],
        error_messages={
            "invalid_choice": "Choose “Done” or “Skip”.",
            "required": "Choose “Done” or “Skip”.",
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
                "This step is not flagged by your screening.",
                code="nothing_to_override",
            )
        if action == "skip_safety" and not self.avoidable:
            raise forms.ValidationError(
                "This step has no warning to skip it for.", code="nothing_to_avoid"
            )
        if action == "done" and self.flagged:
            raise forms.ValidationError(
                "This exercise is not recommended for you. Skip it, or confirm "
                "that your clinician has cleared you first.",
                code="flagged",
            )
        return action

    @property
    def overrides(self):
        return self.cleaned_data["action"] == "override"

    @property
    def outcome(self):
        action = self.cleaned_data["action"]
        if action == "done":
            return StepOutcome.DONE
        if action == "skip_safety" or self.flagged:
            return StepOutcome.SKIPPED_FOR_SAFETY
        return StepOutcome.SKIPPED
