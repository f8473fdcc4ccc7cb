"""
The catalogue's part of the routine, exercise and guided-step pages, rendered.

These pages differ from one person to the next only in a few marks (the
screening's notes on flagged steps, a run's buttons and outcome, CSRF tokens,
messages); everything else changes only when an editor saves. So the
catalogue's part of each is rendered once per version of the catalogue and
kept in the shared cache (``exercises.cache``) as HTML, with the little each
request needs besides: strings, numbers and tuples, cheap to unpickle, and
nothing of any person. Each request then renders only the person's part
around it (the page's own template).
"""

from dataclasses import dataclass, replace
from typing import NamedTuple

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from .models import Exercise, Routine

# Where a step's card takes the person's own notes; the card is kept in two
# halves around it.
MARKS_SLOT = "<!--marks-->"


class Note(NamedTuple):
    """A warning as a person's marks need it (``Screening.reasons_to_avoid``)."""

    pk: int
    severity: str
    title: str
    description: str
    screening_question: str


def notes(warnings):
    return tuple(
        Note(w.pk, w.severity, w.title, w.description, w.screening_question)
        for w in warnings
    )


def rendered(template, **context):
    return mark_safe(render_to_string(template, context))


@dataclass(frozen=True)
class StepCard:
    """A step on its routine's page: its card in halves, around the person's marks."""

    warnings: tuple
    top: str
    bottom: str

    @classmethod
    def of(cls, step, number):
        card = render_to_string(
            "exercises/_partials/step.html",
            {"step": step, "number": number, "marks": mark_safe(MARKS_SLOT)},
        )
        top, bottom = card.split(MARKS_SLOT)
        return cls(notes(step.warnings), mark_safe(top), mark_safe(bottom))


@dataclass(frozen=True)
class RoutinePage:
    slug: str
    title: str
    head: str  # the breadcrumb and heading
    lead: str  # the summary and the routine's own warnings
    cues: str
    estimate: str  # “about 15 minutes”, shown by the Start button
    steps: tuple  # StepCard, in order

    @classmethod
    def of(cls, slug):
        """The routine at ``slug``'s page, or None when there is none."""
        routine = Routine.objects.with_steps().filter(slug=slug).first()
        if routine is None:
            return None
        context = {"routine": routine}
        return cls(
            slug=routine.slug,
            title=routine.title,
            head=rendered("exercises/_partials/routine_head.html", **context),
            lead=rendered("exercises/_partials/routine_lead.html", **context),
            cues=rendered("exercises/_partials/routine_cues.html", **context),
            estimate=routine.estimated_time,
            steps=tuple(
                StepCard.of(step, number)
                for number, step in enumerate(routine.steps.all(), start=1)
            ),
        )


@dataclass(frozen=True)
class ExercisePage:
    title: str
    content: str

    @classmethod
    def of(cls, slug):
        """The exercise at ``slug``'s page, or None when there is none."""
        exercise = Exercise.objects.with_routines().filter(slug=slug).first()
        if exercise is None:
            return None
        return cls(
            title=exercise.name,
            content=rendered(
                "exercises/_partials/exercise_content.html", exercise=exercise
            ),
        )


@dataclass(frozen=True)
class GuideStep:
    """One guided step's page, less the run's and the person's part."""

    title: str
    warnings: tuple  # Note, for the person's reasons to avoid it
    avoidable: bool  # it has an AVOID warning: the page offers to skip it
    head: str
    warnings_html: str
    player: str
    previous: str
    how: str
    # In a routine whose steps are alternatives: the page of the step picked
    # at the safety check, the only step of its session (step 1 of 1, the
    # way back to the safety check, no next step), for ``GuidedRun.chosen``.
    alone: "GuideStep | None" = None

    def of_run(self, guide):
        """This step's page for ``guide``'s run (a ``GuidedRun``)."""
        return self.alone if self.alone and guide.chosen is not None else self


@dataclass(frozen=True)
class GuidePages:
    """
    A routine's guided steps, and every warning of the routine (as
    ``RoutinePlan.warnings``, for ``refusal``).
    """

    warnings: tuple
    steps: tuple  # GuideStep, in order

    @classmethod
    def of(cls, plan):
        steps = plan.steps
        return cls(
            warnings=notes(plan.warnings),
            steps=tuple(
                cls.step(plan.routine, steps, number)
                for number in range(1, len(steps) + 1)
            ),
        )

    @staticmethod
    def step(routine, steps, number):
        step = steps[number - 1]
        context = {"routine": routine, "step": step}
        partials = "exercises/_partials"

        def placed(number, total):
            # The parts that say where the step is in its session.
            where = {
                **context,
                "number": number,
                "total": total,
                "next_step": steps[number] if number < total else None,
            }
            return {
                "head": rendered(f"{partials}/guide_step_head.html", **where),
                "player": rendered(f"{partials}/player.html", **where),
                "previous": rendered(f"{partials}/guide_previous.html", **where),
            }

        page = GuideStep(
            title=step.exercise.name,
            warnings=notes(step.warnings),
            avoidable=bool(step.avoid_warnings),
            warnings_html=rendered(f"{partials}/warnings.html", **context),
            how=rendered(f"{partials}/guide_step_how.html", **context),
            **placed(number, len(steps)),
        )
        if routine.steps_are_alternatives:
            # The rest is shared: pickled once.
            page = replace(page, alone=replace(page, **placed(1, 1)))
        return page
