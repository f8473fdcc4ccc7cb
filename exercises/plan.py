"""A routine as the guide reads it, built in three queries and cached whole."""

from dataclasses import dataclass

from django.utils.translation import gettext

from .models import Contraindication, RoutineStep, by_severity


@dataclass(frozen=True)
class RoutinePlan:
    """
    A routine's steps (each with its exercise and the exercise's warnings),
    the routine's own warnings, and the red flags every guided run is
    screened for. Kept whole in the catalogue's cache (``cached_plan``).
    """

    steps: list
    own_warnings: list
    red_flags: list

    @classmethod
    def of(cls, slug):
        """The plan of the routine at ``slug``, or None when it has no steps."""
        steps = list(RoutineStep.objects.in_routine(slug).with_warnings())
        if not steps:
            return None
        warnings = Contraindication.objects.for_guide(steps[0].routine)
        return cls(
            steps=steps,
            own_warnings=[w for w in warnings if w.guards_routine],
            red_flags=[w for w in warnings if w.is_red_flag],
        )

    @property
    def routine(self):
        return self.steps[0].routine

    @property
    def urgent_flags(self):
        """The red flags to get help for at once, not only before exercising."""
        return [warning for warning in self.red_flags if warning.is_urgent]

    @property
    def warnings(self):
        """Every warning of the routine: its own, then its steps', each once."""
        warnings = dict.fromkeys(self.own_warnings)
        for step in self.steps:
            warnings.update(dict.fromkeys(step.exercise.contraindications.all()))
        return list(warnings)

    def warnings_by_severity(self):
        """
        Every warning of the routine, its own and its steps', grouped by
        severity in the one order of warnings (``by_severity``), each with
        what it applies to.
        """
        applies = {
            warning: [gettext("the whole routine")] for warning in self.own_warnings
        }
        for number, step in enumerate(self.steps, start=1):
            for warning in step.exercise.contraindications.all():
                applies.setdefault(warning, []).append(
                    gettext("step %(number)s, %(exercise)s")
                    % {"number": number, "exercise": step.exercise.name}
                )
        groups = {}
        for warning in by_severity(applies):
            groups.setdefault(warning.get_severity_display(), []).append(
                (warning, applies[warning])
            )
        return list(groups.items())
