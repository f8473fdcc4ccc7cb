import json
from pathlib import Path

from django.conf import settings
from django.core import serializers
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.base import DeserializationError
from django.db import DatabaseError, transaction

from exercises.cache import catalogue_changed

DEFAULT_FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "catalogue.json"


class Command(BaseCommand):
    help = (
        "Load the exercise catalogue. Rows that already exist are left as they "
        "are, so an editor's changes survive; --reset overwrites them."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(DEFAULT_FIXTURE))
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Overwrite existing rows with the fixture's values.",
        )

    def handle(self, *args, path, reset, **options):
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise CommandError(f"Cannot read the catalogue {path}: {error}") from error
        try:
            if not isinstance(json.loads(text), list):
                raise CommandError(
                    f"The catalogue {path} is broken: it must be a JSON list of rows; nothing was changed."
                )
        except json.JSONDecodeError as error:
            raise CommandError(
                f"The catalogue {path} is broken (not valid JSON); nothing was changed. {error}"
            ) from error
        try:
            with transaction.atomic():
                created, updated, kept = self.load(text, reset=reset)
                catalogue_changed()
        except (
            DeserializationError,
            DatabaseError,
            ValidationError,
            ValueError,
        ) as error:
            detail = " ".join(str(e) for e in (error, error.__cause__) if e and str(e))
            raise CommandError(
                f"The catalogue {path} is broken; nothing was changed. {detail}"
            ) from error
        self.stdout.write(
            f"Catalogue loaded: {created} created, {updated} reset, {kept} kept as they were."
        )

    def load(self, text, *, reset):
        created = updated = kept = 0
        # Rows must come after the rows they refer to, so a missing one is an error.
        objects = serializers.deserialize("json", text, ignorenonexistent=False)
        for item in objects:
            # With natural keys the deserializer finds the existing row's pk.
            exists = item.object.pk is not None
            if exists and not reset:
                kept += 1
                continue
            # Unique and check constraints are the database's to enforce.
            item.object.full_clean(validate_unique=False, validate_constraints=False)
            item.save()
            if exists:
                updated += 1
            else:
                created += 1
        return created, updated, kept
