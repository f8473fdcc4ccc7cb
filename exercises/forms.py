from django import forms

from .models import StepOutcome


class AcknowledgeForm(forms.Form):
    acknowledged = forms.BooleanField(
        label="I have read these warnings",
        error_messages={"required": "Please confirm that you have read the warnings."},
    )


class StepActionForm(forms.Form):
    ACTIONS = {"done": StepOutcome.DONE, "skip": StepOutcome.SKIPPED}

    action = forms.ChoiceField(
        choices=[("done", "Done"), ("skip", "Skip")],
        error_messages={
            "invalid_choice": "Choose “Done” or “Skip”.",
            "required": "Choose “Done” or “Skip”.",
        },
    )

    @property
    def outcome(self):
        return self.ACTIONS[self.cleaned_data["action"]]
