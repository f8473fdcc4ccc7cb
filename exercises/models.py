import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import connections, models
from django.db.models import Q
from django.db.models.functions import Coalesce, NullIf
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, npgettext
from modeltranslation.utils import build_localized_fieldname, get_language

from .drawings import drawing_for
from .durations import about_minutes


def split_lines(text):
    return [line.strip() for line in text.splitlines() if line.strip()]


class SlugQuerySet(models.QuerySet):
    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class Severity(models.TextChoices):
    # Declared from most to least serious; the order is used for grouping.
    # The first two are red flags: signs to see a doctor about, not to exercise.
    URGENT = "urgent", _("Seek medical advice urgently")
    RED_FLAG = "red_flag", _("Seek medical advice before exercising")
    AVOID = "avoid", _("Avoid")
    CONSULT = "consult", _("Consult a doctor")
    CAUTION = "caution", _("Caution")


class StepOutcome(models.TextChoices):
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped")
    SKIPPED_FOR_SAFETY = "skipped_for_safety", _("Skipped for safety")


# The guided player counts a counted step's repetitions, run hands-free, one
# every so many seconds (PACE_MS in static/js/player/main.js). Estimates also
# allow it for each hold, to get into position and out of it.
PACE_SECONDS = 3

RED_FLAGS = (Severity.URGENT, Severity.RED_FLAG)
# What a person must have their doctor's clearance for before a guided run.
NEEDS_CLEARANCE = (*RED_FLAGS, Severity.CONSULT)


# The one order in which warnings are shown, asked and listed: most serious
# first (``Severity``'s order), then by title. ``by_severity()`` sorts a list
# into it; ``ContraindicationQuerySet.by_severity()`` asks the database for it.
def by_severity(warnings):
    return sorted(warnings, key=lambda warning: (warning.severity_rank, warning.title))


SEVERITY_RANK = models.Case(
    *[
        models.When(severity=value, then=index)
        for index, value in enumerate(Severity.values)
    ],
    output_field=models.IntegerField(),
)


class ContraindicationQuerySet(SlugQuerySet):
    def active(self):
        """Warnings still in use: a retired one is neither shown nor asked."""
        return self.filter(retired=False)

    def general(self):
        """Warnings that guard whole routines rather than one exercise."""
        guards_a_routine = models.Exists(
            Contraindication.routines.through.objects.filter(
                contraindication=models.OuterRef("pk")
            )
        )
        return self.active().filter(guards_a_routine).by_severity()

    def red_flags(self):
        """Signs to see a doctor about before any exercise, most urgent first."""
        return self.active().filter(severity__in=RED_FLAGS).by_severity()

    def for_guide(self, routine):
        """
        What a routine's safety check lists besides its steps' warnings: the
        routine's own warnings (``guards_routine``) and every red flag.
        """
        guards = models.Exists(
            Contraindication.routines.through.objects.filter(
                routine=routine, contraindication=models.OuterRef("pk")
            )
        )
        return (
            self.active()
            .annotate(guards_routine=guards)
            .filter(Q(guards_routine=True) | Q(severity__in=RED_FLAGS))
            .by_severity()
        )

    def by_severity(self):
        """In the one order of warnings: see the function ``by_severity()``."""
        return self.order_by(SEVERITY_RANK, "title")

    def screened(self):
        """Warnings with a screening question, red flags first."""
        return self.active().exclude(screening_question="").by_severity()


class Contraindication(models.Model):
    slug = models.SlugField(_("slug"), unique=True)
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(
        _("description"), help_text=_("Shown to the person, in plain words.")
    )
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    screening_question = models.CharField(
        _("screening question"),
        max_length=200,
        blank=True,
        help_text=_(
            "A yes/no question; a yes means the warning applies to the person."
        ),
    )
    retired = models.BooleanField(
        _("retired"),
        default=False,
        help_text=_(
            "A retired warning is no longer shown or asked; the answers "
            "people gave to it are kept."
        ),
    )

    objects = ContraindicationQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        verbose_name = _("contraindication")
        verbose_name_plural = _("contraindications")

    def __str__(self):
        return self.title

    def natural_key(self):
        return (self.slug,)

    @property
    def severity_rank(self):
        return list(Severity.values).index(self.severity)

    @property
    def is_red_flag(self):
        return self.severity in RED_FLAGS

    @property
    def is_urgent(self):
        return self.severity == Severity.URGENT

    @property
    def needs_clearance(self):
        return self.severity in NEEDS_CLEARANCE


def active_warnings(lookup):
    """Prefetch the warnings at ``lookup`` that are still in use, by severity."""
    return models.Prefetch(
        lookup, queryset=Contraindication.objects.active().by_severity()
    )


def step_warnings():
    """Prefetch each step's exercise's warnings (for steps already fetched)."""
    return active_warnings("exercise__contraindications")


class ExerciseQuerySet(SlugQuerySet):
    def with_routines(self):
        """Each exercise with its warnings and the steps that use it, by level."""
        return self.prefetch_related(
            active_warnings("contraindications"),
            models.Prefetch(
                "steps",
                queryset=RoutineStep.objects.select_related("routine").order_by(
                    "routine__level", "order"
                ),
            ),
        )


class Exercise(models.Model):
    slug = models.SlugField(_("slug"), unique=True)
    name = models.CharField(_("name"), max_length=120)
    position = models.CharField(
        _("position"),
        max_length=200,
        help_text=_("The starting position, e.g. “Lying on your back”."),
    )
    instructions = models.TextField(
        _("instructions"), help_text=_("One step per line.")
    )
    cues = models.TextField(_("cues"), blank=True, help_text=_("One cue per line."))
    contraindications = models.ManyToManyField(
        Contraindication,
        blank=True,
        related_name="exercises",
        verbose_name=_("contraindications"),
    )
    # An editor's own photo or picture, shown instead of the drawing. Its size
    # and its resized copies are kept on the row, so a page showing it reads
    # no file and makes no query. Uploads are checked in exercises/pictures.py.
    picture = models.ImageField(
        _("picture"),
        upload_to="exercises/",
        blank=True,
        max_length=255,
        width_field="picture_width",
        height_field="picture_height",
        help_text=_(
            "A PNG, JPEG or WebP picture of the exercise, at most 5 MB. "
            "It is shown instead of the drawing; clear it to bring the drawing back."
        ),
    )
    picture_width = models.PositiveIntegerField(
        _("picture width"), null=True, blank=True, editable=False
    )
    picture_height = models.PositiveIntegerField(
        _("picture height"), null=True, blank=True, editable=False
    )
    picture_alt = models.CharField(
        _("picture's text alternative"),
        max_length=300,
        blank=True,
        help_text=_(
            "What the picture shows, in a sentence: it is read aloud to "
            "people who cannot see it. Required with a picture."
        ),
    )
    # [{"width", "height", "name"}, ...] by width: the copies made on upload,
    # never wider than the picture. ``name`` is the copy's name in the storage.
    picture_renditions = models.JSONField(
        _("picture renditions"), default=list, blank=True, editable=False
    )

    objects = ExerciseQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("exercise")
        verbose_name_plural = _("exercises")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("exercises:exercise", kwargs={"slug": self.slug})

    def natural_key(self):
        return (self.slug,)

    @property
    def drawing(self):
        """The line drawing made for this exercise (exercises/drawings/), if any."""
        return drawing_for(self.slug)

    @property
    def instruction_list(self):
        return split_lines(self.instructions)

    @property
    def cue_list(self):
        return split_lines(self.cues)

    @property
    def has_picture(self):
        return bool(self.picture)

    @property
    def picture_srcset(self):
        """“url 320w, url 640w, …”: the resized copies, for an img's srcset."""
        if not self.picture:
            return ""
        if not self.picture_renditions:
            return f"{self.picture.url} {self.picture_width}w"
        return ", ".join(
            f"{self.picture.storage.url(copy['name'])} {copy['width']}w"
            for copy in self.picture_renditions
        )

    @property
    def picture_default(self):
        """
        The copy an img's src names (as {"width", "height", "name"}): the
        widest up to 640 pixels, or the picture itself when it has no copies.
        """
        copies = self.picture_renditions
        if not copies:
            return {
                "name": self.picture.name,
                "width": self.picture_width,
                "height": self.picture_height,
            }
        fitting = [copy for copy in copies if copy["width"] <= 640]
        return max(fitting or copies[:1], key=lambda copy: copy["width"])

    @property
    def picture_src(self):
        return (
            self.picture.storage.url(self.picture_default["name"])
            if self.picture
            else ""
        )

    @property
    def picture_src_width(self):
        return self.picture_default["width"] if self.picture else None

    @property
    def picture_src_height(self):
        return self.picture_default["height"] if self.picture else None


class RoutineQuerySet(SlugQuerySet):
    def ladder(self):
        """Stretching and strengthening first, then aerobic; each by level."""
        aerobic_last = models.Case(
            models.When(kind="aerobic", then=1),
            default=0,
            output_field=models.IntegerField(),
        )
        return self.order_by(aerobic_last, "level", "title")

    def with_exercises(self):
        """Each routine with its steps' exercises (the home page's list)."""
        return self.prefetch_related(
            models.Prefetch(
                "steps", queryset=RoutineStep.objects.select_related("exercise")
            )
        )

    def with_steps(self):
        """Each routine with its warnings and its steps, as ``with_warnings()``."""
        return self.prefetch_related(
            active_warnings("contraindications"),
            models.Prefetch("steps", queryset=RoutineStep.objects.with_warnings()),
        )

    def title_in_language(self, english):
        """
        The title, in the active language (English where it has none), of the
        routine whose English title is ``english`` (a value, or an OuterRef in
        a subquery): a person's sessions keep their routine's English title.
        """
        english_column = build_localized_fieldname("title", settings.LANGUAGE_CODE)
        column = build_localized_fieldname("title", get_language())
        title = Coalesce(
            NullIf(column, models.Value("")),
            english_column,
            output_field=models.CharField(),
        )
        return (
            self.filter(**{english_column: english})
            .annotate(in_language=title)
            .values("in_language")[:1]
        )


class Routine(models.Model):
    class Kind(models.TextChoices):
        STRENGTH = "strength", _("Stretching and strengthening")
        AEROBIC = "aerobic", _("Aerobic")

    slug = models.SlugField(_("slug"), unique=True)
    title = models.CharField(_("title"), max_length=120)
    summary = models.TextField(_("summary"))
    kind = models.CharField(
        _("kind"), max_length=10, choices=Kind.choices, default=Kind.STRENGTH
    )
    level = models.PositiveSmallIntegerField(
        _("level"),
        help_text=_("Place on the progression ladder; lower comes first."),
    )
    cues = models.TextField(
        _("cues"), blank=True, help_text=_("Cues for every step, one per line.")
    )
    contraindications = models.ManyToManyField(
        Contraindication,
        blank=True,
        related_name="routines",
        verbose_name=_("contraindications"),
        help_text=_("Warnings that apply to the whole routine."),
    )
    steps_are_alternatives = models.BooleanField(
        _("the person picks one step"),
        default=False,
        help_text=_(
            "The steps are alternatives (the bike or the treadmill): the "
            "person picks one at the safety check and a session runs that one only."
        ),
    )

    objects = RoutineQuerySet.as_manager()

    class Meta:
        ordering = ["level", "title"]
        verbose_name = _("routine")
        verbose_name_plural = _("routines")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("exercises:routine", kwargs={"slug": self.slug})

    def natural_key(self):
        return (self.slug,)

    @property
    def cue_list(self):
        return split_lines(self.cues)

    @property
    def estimated_time(self):
        """
        “about 15 minutes”, “about 25–35 minutes”: the sum of its steps'
        ``estimated_seconds``, from the steps fetched with it (prefetch them:
        ``with_exercises()``, ``with_steps()``); empty when it has no steps.
        Steps that are alternatives take as long as the one picked: from the
        quickest one's shortest to the slowest one's longest.
        """
        return estimated_time_of(self.steps.all(), self.steps_are_alternatives)


def estimated_time_of(steps, alternatives=False):
    """A routine's ``estimated_time`` from its ``steps`` (fetched already)."""
    times = [step.estimated_seconds for step in steps]
    if not times:
        return ""
    if alternatives:
        shortest = min(low for low, _ in times)
        longest = max(high for _, high in times)
    else:
        shortest = sum(low for low, _ in times)
        longest = sum(high for _, high in times)
    return about_minutes(shortest, longest)


def next_routine(ladder, last_id=None):
    """
    The routine the home page's first screen offers to start, from the
    routines of ``ladder`` (fetched already): the one of the person's most
    recent session (``last_id``) while it is on the ladder, and otherwise the
    ladder's first, the beginner's. Kept simple on purpose: going on to a
    harder routine is the person's choice, made on the ladder below it.
    """
    routines = list(ladder)
    chosen = [routine for routine in routines if routine.pk == last_id]
    return (chosen or routines or [None])[0]


class RoutineStepQuerySet(models.QuerySet):
    def get_by_natural_key(self, routine_slug, order):
        return self.get(routine__slug=routine_slug, order=order)

    def park(self):
        """
        Move these steps past every order their routines use, keeping their
        relative order: new orders can then be saved one by one (a swap, a
        rotation) without meeting the unique (routine, order) constraint.
        """
        routines = self.values("routine")
        last = RoutineStep.objects.filter(routine__in=routines).aggregate(
            last=models.Max("order")
        )["last"]
        return self.update(order=models.F("order") + (last or 0))

    def in_routine(self, slug):
        """A routine's steps in order, each with its routine and exercise."""
        return (
            self.filter(routine__slug=slug)
            .select_related("routine", "exercise")
            .order_by("order")
        )

    def with_warnings(self):
        """Each step with its exercise and the exercise's warnings in use."""
        return self.select_related("exercise").prefetch_related(step_warnings())


class RoutineStep(models.Model):
    """One exercise in a routine, with its dose, as a prescription gives it."""

    routine = models.ForeignKey(
        Routine,
        on_delete=models.CASCADE,
        related_name="steps",
        verbose_name=_("routine"),
    )
    exercise = models.ForeignKey(
        Exercise,
        on_delete=models.PROTECT,
        related_name="steps",
        verbose_name=_("exercise"),
    )
    order = models.PositiveSmallIntegerField(_("order"))
    repetitions = models.PositiveSmallIntegerField(
        _("repetitions"), null=True, blank=True
    )
    hold_seconds = models.PositiveSmallIntegerField(
        _("hold seconds"),
        null=True,
        blank=True,
        help_text=_("How long each repetition is held."),
    )
    each_side = models.BooleanField(
        _("each side"),
        default=False,
        help_text=_("The repetitions are done on the left and on the right."),
    )
    duration_min_minutes = models.PositiveSmallIntegerField(
        _("duration min minutes"), null=True, blank=True
    )
    duration_max_minutes = models.PositiveSmallIntegerField(
        _("duration max minutes"), null=True, blank=True
    )
    # The player's pauses, read from the step (data- attributes of the step page).
    rest_seconds = models.PositiveSmallIntegerField(
        _("rest seconds"),
        default=3,
        validators=[MaxValueValidator(120)],
        help_text=_("The rest between repetitions, in seconds (0 to 120)."),
    )
    switch_seconds = models.PositiveSmallIntegerField(
        _("switch seconds"),
        default=5,
        validators=[MaxValueValidator(300)],
        help_text=_(
            "The pause to change sides, in seconds (0 to 300); "
            "used when the step is done on each side."
        ),
    )

    objects = RoutineStepQuerySet.as_manager()

    class Meta:
        ordering = ["routine", "order"]
        verbose_name = _("routine step")
        verbose_name_plural = _("routine steps")
        constraints = [
            models.UniqueConstraint(
                fields=["routine", "order"], name="routine_step_unique_order"
            ),
            models.CheckConstraint(
                condition=Q(order__gte=1), name="routine_step_order_positive"
            ),
            models.CheckConstraint(
                condition=Q(repetitions__isnull=True) | Q(repetitions__gte=1),
                name="routine_step_repetitions_positive",
            ),
            models.CheckConstraint(
                condition=Q(hold_seconds__isnull=True) | Q(hold_seconds__gte=1),
                name="routine_step_hold_positive",
            ),
            models.CheckConstraint(
                condition=Q(duration_min_minutes__isnull=True)
                | Q(duration_min_minutes__gte=1),
                name="routine_step_duration_positive",
            ),
            models.CheckConstraint(
                condition=Q(duration_min_minutes__isnull=True)
                | Q(duration_max_minutes__isnull=True)
                | Q(duration_min_minutes__lte=models.F("duration_max_minutes")),
                name="routine_step_duration_min_lte_max",
            ),
            models.CheckConstraint(
                condition=Q(repetitions__isnull=False)
                | Q(duration_min_minutes__isnull=False),
                name="routine_step_has_dose",
            ),
            models.CheckConstraint(
                condition=Q(rest_seconds__lte=120), name="routine_step_rest_0_120"
            ),
            models.CheckConstraint(
                condition=Q(switch_seconds__lte=300),
                name="routine_step_switch_0_300",
            ),
        ]

    def __str__(self):
        return f"{self.routine} · {self.order}. {self.exercise}"

    def natural_key(self):
        return (*self.routine.natural_key(), self.order)

    natural_key.dependencies = ["exercises.routine", "exercises.exercise"]

    @property
    def is_timed(self):
        return self.duration_min_minutes is not None

    @property
    def dose_text(self):
        """
        The dose in words, in the active language: “10 repetitions, hold 5
        seconds each”, “20–30 minutes”. Each kind of dose is one sentence to
        translate; a dose with a hold takes its plural from the seconds held,
        its repetitions in words (their own plural) put in it.
        """
        if self.is_timed:
            low, high = self.duration_min_minutes, self.duration_max_minutes
            if high and high != low:
                return ngettext(
                    "%(low)s–%(high)s minute", "%(low)s–%(high)s minutes", high
                ) % {"low": low, "high": high}
            return ngettext("%(n)s minute", "%(n)s minutes", low) % {"n": low}
        n = self.repetitions
        if self.each_side:
            reps = ngettext(
                "%(n)s repetition each side", "%(n)s repetitions each side", n
            ) % {"n": n}
        else:
            reps = ngettext("%(n)s repetition", "%(n)s repetitions", n) % {"n": n}
        seconds = self.hold_seconds
        if not seconds:
            return reps
        values = {"repetitions": reps, "seconds": seconds}
        if self.each_side:
            held = npgettext(
                "hold",
                # Translators: %(repetitions)s is “5 repetitions each side”.
                "%(repetitions)s, hold %(seconds)s second",
                "%(repetitions)s, hold %(seconds)s seconds",
                seconds,
            )
        else:
            held = npgettext(
                "hold",
                # Translators: %(repetitions)s is “10 repetitions”; each is held.
                "%(repetitions)s, hold %(seconds)s second each",
                "%(repetitions)s, hold %(seconds)s seconds each",
                seconds,
            )
        return held % values

    @property
    def estimated_seconds(self):
        """
        (shortest, longest) time the step takes in the guided player, in
        seconds. Counted: a pace per repetition. Held: each hold and a pace,
        with a rest between holds. On each side: twice that and the switch
        between sides. Timed: its range of minutes. The player's lead-in and
        the pause between steps are a person's settings, not counted.
        """
        if self.is_timed:
            low = self.duration_min_minutes
            return low * 60, (self.duration_max_minutes or low) * 60
        repetitions = self.repetitions
        if self.hold_seconds:
            side = repetitions * (self.hold_seconds + PACE_SECONDS)
            side += (repetitions - 1) * self.rest_seconds
        else:
            side = repetitions * PACE_SECONDS
        if self.has_sides:
            side = 2 * side + self.switch_seconds
        return side, side

    @property
    def warnings(self):
        """The exercise's own warnings, most serious first."""
        return by_severity(self.exercise.contraindications.all())

    @property
    def avoid_warnings(self):
        return [c for c in self.warnings if c.severity == Severity.AVOID]

    @property
    def player_mode(self):
        """How the guided player times this step: a stopwatch, holds or a counter."""
        if self.is_timed:
            return "duration"
        return "hold" if self.hold_seconds else "count"

    @property
    def has_sides(self):
        """
        Whether the step runs on the right side, then on the left. Each side
        qualifies the repetitions; a timed step is one continuous activity
        (its stopwatch has no sides), so there the box is ignored, and no
        page or player promises sides for it.
        """
        return self.each_side and not self.is_timed


class SeedRow(models.Model):
    """
    A catalogue row that ``load_catalogue`` created or found, by its seed key.

    The loader reads these to tell a row it never loaded from one an editor
    deleted or moved, so that it re-creates neither.
    """

    model = models.CharField(max_length=100)
    key = models.CharField(max_length=200, help_text="The row's natural key, as JSON.")
    object_id = models.PositiveBigIntegerField()
    loaded_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["model", "key"], name="seed_row_unique_key")
        ]

    def __str__(self):
        return f"{self.model} {self.key}"


def new_token():
    return uuid.uuid4().hex


class CatalogueVersionQuerySet(models.QuerySet):
    def current(self):
        """
        The catalogue's version: a new random token at each change an editor
        makes. Read by every catalogue page, so in plain SQL (Django's
        documented ``cursor()``): building the ORM's query would cost more
        than the rest of a warm visitor's page.
        """
        connection = connections[self.db]
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {quote('token')} FROM {quote(self.model._meta.db_table)}"
                f" WHERE {quote('id')} = %s",
                [CatalogueVersion.ONLY],
            )
            row = cursor.fetchone()
        # No row: a database emptied since its migrations (a test's flush).
        return row[0] if row else "none"

    def bump(self):
        """A new version, in the transaction of the change it counts."""
        self.update_or_create(pk=CatalogueVersion.ONLY, defaults={"token": new_token()})


class CatalogueVersion(models.Model):
    """
    One row: the version of the catalogue, written in the same transaction as
    each change to it (``exercises.cache.catalogue_changed``). Pages kept in
    the cache name the version they were made from, so an entry made before a
    change is never served after it, on any worker, whatever the cache held.
    Random, not counted: a database restored from a backup never meets pages
    kept for the versions that came after it.
    """

    ONLY = 1

    token = models.CharField(max_length=32, default=new_token)

    objects = CatalogueVersionQuerySet.as_manager()

    def __str__(self):
        return f"Catalogue version {self.token}"
