"""
Editors' own pictures of exercises: what an upload must be, and its copies.

An upload is accepted for what Pillow decodes, never for its name or the
content type the browser sent: PNG, JPEG or WebP, at most ``MAX_BYTES``, of
at most ``MAX_PIXELS`` and ``MAX_SIDE`` pixels a side (checked from the
header, before the pixels are decoded, so an image bomb costs nothing), and
decoded whole (a cut-off file is refused). Pages show resized WebP copies
(``RENDITION_WIDTHS``), made once on upload: they fit each place, and carry
none of the original's metadata (a phone photo's location, for one).

The admin calls these; nothing here runs from a signal or a save().
"""

import io
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image, ImageOps

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 40_000_000
MAX_SIDE = 10_000
# What Pillow may try to read an upload as; MPO is how it names the JPEG of
# many cameras and phones (several pictures in one JPEG file).
FORMATS = ("PNG", "JPEG", "WEBP")
ACCEPTED = {*FORMATS, "MPO"}
# The names a stored picture may end with, by what it decodes to: the proxy
# serves a file with the type its name says, whatever name it came with.
SUFFIXES = {
    "PNG": (".png",),
    "JPEG": (".jpg", ".jpeg"),
    "MPO": (".jpg", ".jpeg"),
    "WEBP": (".webp",),
}
RENDITION_WIDTHS = (320, 640, 1024)
RENDITION_QUALITY = 80

TRY_AGAIN = "Choose a photo or picture saved as PNG, JPEG or WebP."


def megabytes(size):
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0")


def looks_like_svg(file):
    """Only to say why a file Pillow could not read is refused."""
    if PurePosixPath(file.name or "").suffix.lower() in {".svg", ".svgz"}:
        return True
    file.seek(0)
    head = file.read(4096).lower()
    file.seek(0)
    return b"<svg" in head


def validate_picture(file):
    """
    Refuse anything but a whole PNG, JPEG or WebP of a sensible size; give
    the format Pillow decoded it as.
    """
    if file.size > MAX_BYTES:
        raise ValidationError(
            "This file is %(size)s MB; a picture can be at most 5 MB. Save it "
            "smaller (about 2,000 pixels wide is plenty) and upload it again.",
            code="too_large",
            params={"size": megabytes(file.size)},
        )
    file.seek(0)
    try:
        image = Image.open(file, formats=FORMATS)
    except Image.DecompressionBombError as error:
        raise too_many_pixels() from error
    except Exception as error:  # Pillow raises many kinds for what it cannot read
        if looks_like_svg(file):
            raise ValidationError(
                "SVG files cannot be uploaded; use PNG, JPEG or WebP.", code="svg"
            ) from error
        raise ValidationError(
            "This file is not a PNG, JPEG or WebP picture. " + TRY_AGAIN,
            code="not_image",
        ) from error
    with image:
        if image.format not in ACCEPTED:
            raise ValidationError(
                "This file is not a PNG, JPEG or WebP picture. " + TRY_AGAIN,
                code="not_image",
            )
        width, height = image.size
        if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
            raise too_many_pixels(width, height)
        try:
            image.load()
        except Exception as error:
            raise ValidationError(
                "This picture is damaged or incomplete: part of the file is "
                "missing. Save or export it again and upload the new file.",
                code="damaged",
            ) from error
    file.seek(0)
    return image.format


def named_for(name, kind):
    """``name`` ending as a ``kind`` picture's should: photo.txt as photo.png."""
    path = PurePosixPath(name)
    if path.suffix.lower() in SUFFIXES[kind]:
        return name
    return str(path.with_suffix(SUFFIXES[kind][0]))


def too_many_pixels(width=None, height=None):
    found = f"is {width:,} × {height:,} pixels" if width else "has too many pixels"
    return ValidationError(
        f"This picture {found}; a picture can be at most {MAX_SIDE:,} pixels on "
        f"a side and {MAX_PIXELS // 1_000_000} megapixels in all. Resize it and "
        "upload it again.",
        code="too_many_pixels",
    )


def rendition_widths(width):
    """The copies' widths for a picture ``width`` wide: never wider than it."""
    return [w for w in RENDITION_WIDTHS if w <= width] or [width]


def renditions_make(exercise):
    """
    Write the resized copies of the exercise's picture to its storage and
    list them on ``exercise.picture_renditions`` (the caller saves the row).
    A picture narrower than the smallest width gets one copy at its own width.
    """
    picture = exercise.picture
    storage = picture.storage
    stem = PurePosixPath(picture.name)
    made = []
    try:
        with picture.open("rb"), Image.open(picture, formats=FORMATS) as image:
            upright = ImageOps.exif_transpose(image)
            has_alpha = upright.mode in ("RGBA", "LA", "PA") or (
                "transparency" in upright.info
            )
            upright = upright.convert("RGBA" if has_alpha else "RGB")
            for width in rendition_widths(upright.width):
                height = max(1, round(upright.height * width / upright.width))
                copy = upright.resize((width, height), Image.Resampling.LANCZOS)
                out = io.BytesIO()
                copy.save(out, "WEBP", quality=RENDITION_QUALITY)
                name = storage.save(
                    str(stem.with_name(f"{stem.stem}-{width}w.webp")),
                    ContentFile(out.getvalue()),
                )
                made.append({"width": width, "height": height, "name": name})
    except BaseException:
        files_delete(storage, [copy["name"] for copy in made])
        raise
    exercise.picture_renditions = made
    return made


def picture_replaced(exercise, *, previous):
    """
    Once the row is saved with a new picture or none (cleared): make the new
    picture's copies and keep their list on the row, and once the change is
    committed remove the ``previous`` picture (its name) and its copies, so
    a change rolled back still finds its files.
    """
    storage = exercise.picture.storage
    replaced = [previous, *(copy["name"] for copy in exercise.picture_renditions)]
    exercise.picture_renditions = []
    if exercise.picture:
        renditions_make(exercise)
    exercise.save(update_fields=["picture_renditions"])
    # A storage that overwrites (S3's, by default) may have put the new files
    # under the old names: those are the new picture's now, never removed.
    kept = {
        exercise.picture.name,
        *(copy["name"] for copy in exercise.picture_renditions),
    }
    replaced = [name for name in replaced if name not in kept]
    transaction.on_commit(lambda: files_delete(storage, replaced), robust=True)


def pictures_deleted(exercises):
    """Once the deletion of ``exercises`` commits, remove their files too."""
    for exercise in exercises:
        names = [copy["name"] for copy in exercise.picture_renditions]
        if exercise.picture:
            names.append(exercise.picture.name)
        storage = exercise.picture.storage
        transaction.on_commit(
            lambda storage=storage, names=names: files_delete(storage, names),
            robust=True,
        )


def files_delete(storage, names):
    for name in names:
        if name:
            storage.delete(name)
