from pathlib import Path

from django.conf import settings
from django.core import serializers
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.base import DeserializationError
from django.db import DatabaseError, transaction

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
            with transaction.atomic():
                created, updated, kept = self.load(text, reset=reset)
        except (DeserializationError, DatabaseError, ValueError) as error:
            raise CommandError(
                f"The catalogue {path} is broken; nothing was changed. {error}"
            ) from error
        self.stdout.write(
            f"Catalogue loaded: {created} created, {updated} reset, {kept} kept as they were."
        )

    def load(self, text, *, reset):
        created = updated = kept = 0
        objects = serializers.deserialize(
            "json", text, handle_forward_references=True, ignorenonexistent=False
        )
        for item in objects:
            # With natural keys the deserializer finds the existing row's pk.
            exists = item.object.pk is not None
            if exists and not reset:
                kept += 1
                continue
            item.save()
            if item.deferred_fields:
                item.save_deferred_fields()
            if exists:
                updated += 1
            else:
                created += 1
        return created, updated, kept
