"""
What a person's health screening says, as the catalogue sees it.

The catalogue knows nothing of accounts: whoever knows people sets
``request.screening`` to a ``Screening`` (the accounts app does so in its
middleware). Without one, a visitor is unscreened and sees every warning.
"""

from dataclasses import dataclass, field

from django.db.models import prefetch_related_objects

from .models import Severity, step_warnings


@dataclass(frozen=True)
class Screening:
    signed_in: bool = False
    answered: bool = False
    # Contraindication ids the person answered “yes” to.
    applies: frozenset = field(default_factory=frozenset)
    # The red flags among them, most urgent first: see a doctor before exercising.
    red_flags: tuple = ()
    doctor_cleared_on: object = None

    @property
    def key(self):
        """What tells this screening from another on a page, as plain values."""
        return (
            self.signed_in,
            self.answered,
            tuple(sorted(self.applies)),
            tuple(warning.pk for warning in self.red_flags),
            self.doctor_cleared_on,
        )

    @property
    def urgent_flags(self):
        return [warning for warning in self.red_flags if warning.is_urgent]

    @property
    def other_flags(self):
        return [warning for warning in self.red_flags if not warning.is_urgent]

    def clearance_asked_for(self, warnings):
        """
        What this person's doctor must have cleared them for before they run a
        routine guarded by ``warnings``: their red flags, and the routine's
        consult-a-doctor warnings that apply to them.
        """
        return [*self.red_flags, *self.consult_warnings(warnings)]

    def clearance_covered_by(self, warnings, confirmed):
        """
        Whether ``confirmed`` (pks of the warnings a person confirmed their
        doctor cleared, as a page showed them) covers all that their doctor
        must clear now for a routine guarded by ``warnings``: a red flag
        answered since is not cleared by a confirmation that never showed it.
        """
        asked = {warning.pk for warning in self.clearance_asked_for(warnings)}
        return bool(asked) and asked <= set(confirmed)

    def needs_clearance(self, warnings):
        return bool(self.clearance_asked_for(warnings)) and not self.doctor_cleared_on

    def reasons_to_avoid(self, step):
        """The step's AVOID warnings that this person's answers trigger."""
        return [
            warning
            for warning in step.warnings
            if warning.severity == Severity.AVOID and warning.pk in self.applies
        ]

    def flag(self, steps):
        """(number, step, reasons to avoid it) for each step, numbered from 1."""
        if self.applies:
            prefetch_related_objects(steps, step_warnings())
        return [
            (n, step, self.reasons_to_avoid(step) if self.applies else [])
            for n, step in enumerate(steps, 1)
        ]

    def flagged_numbers(self, steps):
        """Numbers of the steps this person's answers advise against."""
        return frozenset(n for n, _, reasons in self.flag(steps) if reasons)

    def consult_warnings(self, warnings):
        return [
            w
            for w in warnings
            if w.severity == Severity.CONSULT and w.pk in self.applies
        ]


UNSCREENED = Screening()


def screening_for(request):
    return getattr(request, "screening", UNSCREENED)
