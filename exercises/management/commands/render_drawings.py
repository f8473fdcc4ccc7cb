from django.core.management.base import BaseCommand, CommandError

from exercises.drawings import DIRECTORY, DRAWINGS


class Command(BaseCommand):
    help = "Writes the exercises' SVG drawings to static/drawings/ from their poses."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Write nothing; fail if a file differs from what the poses draw.",
        )

    def handle(self, *, check, **options):
        expected = {}
        for drawing in DRAWINGS.values():
            expected.update(drawing.files())
        stale = sorted(
            name
            for name, text in expected.items()
            if not (DIRECTORY / name).exists() or (DIRECTORY / name).read_text() != text
        )
        unknown = sorted(
            path.name for path in DIRECTORY.glob("*.svg") if path.name not in expected
        )
        if check:
            if stale or unknown:
                raise CommandError(
                    "Drawings out of date (run manage.py render_drawings): "
                    + ", ".join(stale + unknown)
                )
            self.stdout.write(f"{len(expected)} drawings match their poses.")
            return
        DIRECTORY.mkdir(parents=True, exist_ok=True)
        for name in stale:
            (DIRECTORY / name).write_text(expected[name])
        for name in unknown:
            (DIRECTORY / name).unlink()
        self.stdout.write(
            f"{len(stale)} drawings written, {len(unknown)} removed, "
            f"{len(expected) - len(stale)} unchanged."
        )
