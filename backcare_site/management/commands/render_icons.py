"""
BackCare's icons, drawn from one mark: a spine of five rounded vertebrae on
an S-curve, white on the site's blue. ``render_icons`` writes the PNG, ICO
and SVG files of static/icons/ that the manifest and every page's <head>
name; ``--check`` fails when a committed file is not what the mark draws.
"""

import io
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from PIL import Image, ImageDraw

DIRECTORY = Path(settings.BASE_DIR) / "static" / "icons"
BLUE = "#0a58ca"
WHITE = "#ffffff"
# The mark is drawn in a 512-unit square.
UNITS = 512
CORNER = 112  # of the rounded square behind the mark, where nothing rounds it
# (centre x offset, width) of each vertebra, from the bottom up: the lumbar
# curve forward, the thoracic back, narrowing towards the neck.
VERTEBRAE = [(0, 200), (18, 184), (22, 168), (8, 152), (-14, 136)]
VERTEBRA_HEIGHT = 50
GAP = 16
# Maskable icons are cropped by the launcher to as little as a circle of 40%
# of the size around the centre: the mark is shrunk to sit well inside it.
MASKABLE_SCALE = 0.9
SUPERSAMPLE = 4


def vertebrae(scale=1.0):
    """(left, top, right, bottom) of each vertebra, in units."""
    total = len(VERTEBRAE) * VERTEBRA_HEIGHT + (len(VERTEBRAE) - 1) * GAP
    bottom = (UNITS + total) / 2
    centre = UNITS / 2
    boxes = []
    for offset, width in VERTEBRAE:
        box = (
            centre + offset - width / 2,
            bottom - VERTEBRA_HEIGHT,
            centre + offset + width / 2,
            bottom,
        )
        boxes.append(tuple(centre + (value - centre) * scale for value in box))
        bottom -= VERTEBRA_HEIGHT + GAP
    return boxes


def draw(size, *, rounded=True, scale=1.0):
    """The mark as a ``size`` pixel square RGBA image, smoothed by supersampling."""
    big = size * SUPERSAMPLE
    factor = big / UNITS
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    pen = ImageDraw.Draw(image)
    if rounded:
        pen.rounded_rectangle((0, 0, big - 1, big - 1), CORNER * factor, fill=BLUE)
    else:
        pen.rectangle((0, 0, big - 1, big - 1), fill=BLUE)
    for box in vertebrae(scale):
        radius = VERTEBRA_HEIGHT / 2 * scale * factor
        pen.rounded_rectangle([v * factor for v in box], radius, fill=WHITE)
    return image.resize((size, size), Image.Resampling.LANCZOS)


def svg():
    rects = "".join(
        f'<rect x="{left:g}" y="{top:g}" width="{right - left:g}" '
        f'height="{bottom - top:g}" rx="{VERTEBRA_HEIGHT / 2:g}"/>'
        for left, top, right, bottom in vertebrae()
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {UNITS} {UNITS}">'
        "<title>BackCare</title>"
        f'<rect width="{UNITS}" height="{UNITS}" rx="{CORNER}" fill="{BLUE}"/>'
        f'<g fill="{WHITE}">{rects}</g></svg>\n'
    )


FAVICON_SIZES = (16, 32, 48)


def images():
    """{file name: image, or a list of images for the ICO, or SVG text}."""
    return {
        "icon-192.png": draw(192),
        "icon-512.png": draw(512),
        "icon-maskable-512.png": draw(512, rounded=False, scale=MASKABLE_SCALE),
        # iOS rounds the corners itself and shows transparency as black.
        "apple-touch-icon.png": draw(180, rounded=False).convert("RGB"),
        "favicon.ico": [draw(size) for size in FAVICON_SIZES],
        "icon.svg": svg(),
    }


def encode(name, image):
    if isinstance(image, str):
        return image.encode()
    out = io.BytesIO()
    if isinstance(image, list):
        largest = image[-1]
        sizes = [frame.size for frame in image]
        largest.save(out, "ICO", sizes=sizes, append_images=image[:-1])
    else:
        image.save(out, "PNG", optimize=True)
    return out.getvalue()


def pixels(image):
    return image.size, image.mode, image.tobytes()


def matches(path, image):
    """Whether the file at ``path`` shows ``image`` (pixels, not bytes)."""
    if not path.exists():
        return False
    if isinstance(image, str):
        return path.read_text() == image
    with Image.open(path) as found:
        if isinstance(image, list):
            kept = {size: found.ico.getimage(size) for size in found.ico.sizes()}
            return {size: pixels(kept[size]) for size in kept} == {
                frame.size: pixels(frame) for frame in image
            }
        found.load()
        return pixels(found) == pixels(image)


class Command(BaseCommand):
    help = "Writes BackCare's icons to static/icons/ from the mark drawn here."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Write nothing; fail if a file differs from what the mark draws.",
        )

    def handle(self, *, check, **options):
        expected = images()
        stale = sorted(
            name
            for name, image in expected.items()
            if not matches(DIRECTORY / name, image)
        )
        if check:
            if stale:
                raise CommandError(
                    "Icons out of date (run manage.py render_icons): "
                    + ", ".join(stale)
                )
            self.stdout.write(f"{len(expected)} icons match the mark.")
            return
        DIRECTORY.mkdir(parents=True, exist_ok=True)
        for name in stale:
            (DIRECTORY / name).write_bytes(encode(name, expected[name]))
        self.stdout.write(
            f"{len(stale)} icons written, {len(expected) - len(stale)} unchanged."
        )
