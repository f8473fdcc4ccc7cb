import json
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.base import DeserializationError
from django.db import DatabaseError

from exercises.seed import catalogue_load

DEFAULT_FIXTURE = Path(settings.BASE_DIR) / "fixtures" / "catalogue.json"


class Command(BaseCommand):
    help = (
        "Load the exercise catalogue. Rows loaded before are left as they are, "
        "and rows an editor deleted are not created again, so an editor's work "
        "survives; --reset puts the seed back."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", default=str(DEFAULT_FIXTURE))
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Overwrite the seed rows with the fixture's values and create "
            "the deleted ones again.",
        )

    def handle(self, *args, path, reset, **options):
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as error:
            raise CommandError(f"Cannot read the catalogue {path}: {error}") from error
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as error:
            raise CommandError(
                f"The catalogue {path} is broken (not valid JSON); nothing was changed. {error}"
            ) from error
        if not isinstance(rows, list):
            raise CommandError(
                f"The catalogue {path} is broken: it must be a JSON list of rows; nothing was changed."
            )
        try:
            outcome = catalogue_load(rows=rows, reset=reset)
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
        for line in outcome.skipped:
            self.stdout.write(line)
        if outcome.translated:
            self.stdout.write(
                "Kept rows given the fixture's text in a language they had none "
                f"in: {outcome.translated}."
            )
        self.stdout.write(
            f"Catalogue loaded: {outcome.created} created, {outcome.reset} reset, "
            f"{outcome.kept} kept as they were, {len(outcome.skipped)} skipped."
        )
