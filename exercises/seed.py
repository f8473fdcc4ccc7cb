"""
Loading the seed catalogue on every deploy without undoing an editor's work.

Each row the loader creates or finds is recorded as a ``SeedRow``: the row's
seed key (its natural key, as JSON) and the pk of the row. A later load tells
from the records
- a row never loaded (no record): created, or kept and recorded when a row
  with its natural key is there already (a catalogue loaded before records);
- a row an editor deleted (a record, the row gone): skipped, never re-created;
- a row an editor changed or moved (a record, the row there): kept as it is,
  even when its natural key changed.
A row that refers to a seed row no longer in the database is skipped too.
``reset`` is the way back to the seed: every row takes the fixture's values
again (the recorded row is updated, a deleted one created anew) and the
records follow.

A field's text is English (``title``) or in the language its name ends in
(``title_zh_hans``, exercises/translation.py). A kept row takes the fixture's
text only in a language it has none in: a language added after the row was
loaded; an editor's text, in any language, stays.
"""

import json
from dataclasses import dataclass, field

from django.apps import apps
from django.conf import settings
from django.core.serializers.base import DeserializationError
from django.db import transaction
from django.db.models import Max
from django.utils import translation
from modeltranslation.translator import NotRegistered, translator
from modeltranslation.utils import build_localized_fieldname

from .cache import catalogue_changed
from .models import RoutineStep, SeedRow

RESTORE = "`load_catalogue --reset` restores the seed."
STEP = "exercises.routinestep"

# The models a catalogue holds, as the output names their rows.
NOUNS = {
    "exercises.contraindication": "warning",
    "exercises.exercise": "exercise",
    "exercises.routine": "routine",
    STEP: "step",
}


class Skip(Exception):
    """A row left out of this load; the message says why."""


@dataclass
class Outcome:
    created: int = 0
    reset: int = 0
    kept: int = 0
    translated: int = 0  # kept rows that took a language they had no text in
    skipped: list = field(default_factory=list)  # one line per row, saying why


def seed_key(natural_key):
    return json.dumps(list(natural_key), ensure_ascii=False)


def describe(label, natural_key):
    if label == STEP:
        return f"{natural_key[0]} step {natural_key[1]}"
    return f"{NOUNS[label]} {natural_key[0]}"


def taken(label, owner):
    """Why a row cannot have its place: another seed row has it, by an editor."""
    other = describe(label, json.loads(owner))
    if label == STEP:
        return f"an editor moved {other} to its place"
    return f"an editor gave its slug to {other}"


@dataclass(frozen=True)
class Row:
    """One row of the fixture; its seed key comes from the JSON alone."""

    label: str
    natural_key: tuple
    fields: dict

    @classmethod
    def parse(cls, data):
        try:
            label, fields = str(data["model"]).lower(), dict(data["fields"])
        except (TypeError, KeyError, ValueError) as error:
            raise DeserializationError(
                f"Every row needs a model and its fields: {data!r}"
            ) from error
        if label not in NOUNS:
            raise DeserializationError(
                f"Invalid model identifier: {data['model']!r}; a catalogue holds "
                "warnings, exercises, routines and their steps."
            )
        try:
            if label == STEP:
                (routine,) = fields["routine"]
                order = RoutineStep._meta.get_field("order").to_python(fields["order"])
                natural_key = (routine, order)
            else:
                natural_key = (fields["slug"],)
        except (KeyError, TypeError, ValueError) as error:
            raise DeserializationError(
                f"A {NOUNS[label]} row is named by its slug, a step by "
                f"[routine slug] and order: {data!r}"
            ) from error
        return cls(label, natural_key, fields)

    @property
    def model(self):
        return apps.get_model(self.label)

    @property
    def key(self):
        return seed_key(self.natural_key)

    def __str__(self):
        name = describe(self.label, self.natural_key)
        exercise = self.fields.get("exercise")
        if self.label == STEP and isinstance(exercise, list):
            return f"{name} ({' '.join(map(str, exercise))})"
        return name


def make_room(step):
    """Move the step holding ``step``'s place, if any, to the end of the routine."""
    steps = RoutineStep.objects.filter(routine_id=step.routine_id)
    holder = steps.filter(order=step.order).exclude(pk=step.pk).first()
    if holder is not None:
        holder.order = steps.aggregate(last=Max("order"))["last"] + 1
        holder.save(update_fields=["order"])


class Loader:
    def __init__(self, *, reset):
        self.reset = reset
        self.outcome = Outcome()
        records = list(SeedRow.objects.all())
        self.records = {(r.model, r.key): r.object_id for r in records}
        self.owners = {(r.model, r.object_id): r.key for r in records}
        self.loaded = {}  # (label, key) → pk of the row this load kept or wrote
        self.seen = set()  # (label, key) of the rows read so far

    def load(self, row):
        self.seen.add((row.label, row.key))
        try:
            pk = self.reset_row(row) if self.reset else self.load_row(row)
        except Skip as skip:
            restore = "" if self.reset else f" {RESTORE}"
            self.outcome.skipped.append(f"Skipped {row}: {skip}.{restore}")
            return
        self.loaded[row.label, row.key] = pk
        self.record(row, pk)

    def load_row(self, row):
        recorded = self.records.get((row.label, row.key))
        if recorded is not None:
            if row.model.objects.filter(pk=recorded).exists():
                self.outcome.kept += 1
                self.add_languages(row, recorded)
                return recorded
            self.references(row)  # “its routine is not in the database” says more
            raise Skip("an editor deleted it")
        pk, owner = self.holder(row)
        if owner is not None:
            raise Skip(taken(row.label, owner))
        if pk is not None:
            self.outcome.kept += 1
            self.add_languages(row, pk)
            return pk
        pk = self.save(row, None)
        self.outcome.created += 1
        return pk

    def reset_row(self, row):
        pk = self.records.get((row.label, row.key))
        if pk is None or not row.model.objects.filter(pk=pk).exists():
            pk, owner = self.holder(row)
            if owner is not None:
                # A seed row an editor moved here: a step makes room (see
                # make_room) and goes back to its own place in its turn.
                if row.label != STEP:
                    raise Skip(taken(row.label, owner))
                pk = None
        saved = self.save(row, pk)
        if pk is None:
            self.outcome.created += 1
        else:
            self.outcome.reset += 1
        return saved

    def add_languages(self, row, pk):
        """The fixture's texts in the languages the row ``pk`` has none in."""
        columns = [name for name in row.fields if name in translations(row.model)]
        if not columns:
            return
        rows = row.model.objects.filter(pk=pk)
        current = rows.values(*columns).get()
        if missing := {
            c: row.fields[c] for c in columns if row.fields[c] and not current[c]
        }:
            rows.update(**missing)
            self.outcome.translated += 1

    def holder(self, row):
        """(pk, seed key it is recorded under) of the row with ``row``'s natural key."""
        try:
            pk = row.model.objects.get_by_natural_key(*row.natural_key).pk
        except row.model.DoesNotExist:
            return None, None
        return pk, self.owners.get((row.label, pk))

    def references(self, row):
        """The pks of the rows ``row`` names by natural key, by field name."""
        resolved = {}
        for relation in (
            *row.model._meta.concrete_fields,
            *row.model._meta.many_to_many,
        ):
            value = row.fields.get(relation.name)
            if not relation.is_relation or value is None:
                continue
            label = relation.related_model._meta.label_lower
            if not relation.many_to_many:
                resolved[relation.name] = self.resolve(row, label, value)
            elif isinstance(value, list):
                resolved[relation.name] = [self.resolve(row, label, v) for v in value]
            else:
                raise DeserializationError(f"{row}: {relation.name} must be a list.")
        return resolved

    def resolve(self, row, label, natural_key):
        if not isinstance(natural_key, list):
            return natural_key  # a pk, as loaddata takes it
        key = seed_key(natural_key)
        if (label, key) in self.loaded:
            return self.loaded[label, key]
        model = apps.get_model(label)
        recorded = self.records.get((label, key))
        if recorded is not None and model.objects.filter(pk=recorded).exists():
            return recorded
        try:
            return model.objects.get_by_natural_key(*natural_key).pk
        except model.DoesNotExist:
            pass
        except TypeError as error:
            raise DeserializationError(
                f"{row}: {natural_key} is no natural key."
            ) from error
        if recorded is not None or (label, key) in self.seen:
            raise Skip(f"its {describe(label, natural_key)} is not in the database")
        # Rows come after the rows they refer to, so a missing one is an error.
        raise DeserializationError(
            f"{row} refers to {describe(label, natural_key)}, which is neither "
            "before it in the catalogue nor in the database."
        )

    def save(self, row, pk):
        model = row.model
        fields = {f.name: f for f in (*model._meta.fields, *model._meta.many_to_many)}
        values = {**row.fields, **self.references(row)}
        if unknown := values.keys() - fields.keys():
            raise DeserializationError(f"{row}: no field named {', '.join(unknown)}.")
        instance = model(pk=pk)
        for name, value in values.items():
            if not fields[name].many_to_many:
                setattr(instance, fields[name].attname, fields[name].to_python(value))
        # Unique and check constraints are the database's to enforce.
        instance.full_clean(validate_unique=False, validate_constraints=False)
        if isinstance(instance, RoutineStep):
            make_room(instance)
        instance.save()
        for name, value in values.items():
            if fields[name].many_to_many:
                getattr(instance, name).set(value)
        return instance.pk

    def record(self, row, pk):
        before = self.records.get((row.label, row.key))
        if before == pk:
            return
        SeedRow.objects.update_or_create(
            model=row.label, key=row.key, defaults={"object_id": pk}
        )
        self.owners.pop((row.label, before), None)
        self.records[row.label, row.key] = pk
        self.owners[row.label, pk] = row.key


def translations(model):
    """The names of ``model``'s columns in languages other than English."""
    try:
        fields = translator.get_options_for_model(model).get_field_names()
    except NotRegistered:
        return set()
    return {
        build_localized_fieldname(field, code)
        for field in fields
        for code, _name in settings.LANGUAGES
        if code != settings.LANGUAGE_CODE
    }


@transaction.atomic
def catalogue_load(*, rows, reset=False):
    """Load the fixture's ``rows`` (its JSON list); an ``Outcome`` says what it did."""
    loader = Loader(reset=reset)
    # A text without a language in its name is English.
    with translation.override(settings.LANGUAGE_CODE):
        for row in [Row.parse(data) for data in rows]:
            loader.load(row)
    catalogue_changed()
    return loader.outcome
