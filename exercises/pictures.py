"""
Editors' own pictures of exercises: what an upload must be, and its copies.

An upload is accepted for what Pillow decodes, never for its name or the
content type the browser sent: PNG, JPEG or WebP, at most ``MAX_BYTES``, of
at most ``MAX_PIXELS`` (25 megapixels) and ``MAX_SIDE`` pixels a side
(checked from the header, before the pixels are decoded, so an image bomb
costs nothing), and decoded whole (a cut-off file is refused). What is
stored is what Pillow re-encodes (``clean_picture``): the pixels, upright, at
most ``STORED_SIDE`` a side, and nothing else of the file (bytes after the
picture, EXIF with a phone's position, profiles, text). Pages show resized
WebP copies (``RENDITION_WIDTHS``), made once on upload. Neither decodes a
picture larger than its file nor copies it whole (``shrunk``).

The admin calls these; nothing here runs from a signal or a save().
"""

import io
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps

MAX_BYTES = 5 * 1024 * 1024
# 25 megapixels: a phone's photo and more. Decoded whole, Pillow keeps
# 4 bytes a pixel: a worker never holds more than 100 MB of an upload.
MAX_PIXELS = 25_000_000
MAX_SIDE = 10_000
# What is kept of an upload: twice the widest copy a page shows.
STORED_SIDE = 2048
SAVE_OPTIONS = {"JPEG": {"quality": 90}, "WEBP": {"quality": 90}}
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

NOT_IMAGE = _(
    "This file is not a PNG, JPEG or WebP picture. "
    "Choose a photo or picture saved as PNG, JPEG or WebP."
)


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


def clean_picture(file):
    """
    The upload as BackCare keeps it, or ValidationError: a whole PNG, JPEG or
    WebP of a sensible size, re-encoded by Pillow in the format it decoded
    as, named for it (``named_for``). Only its pixels are kept: nothing the
    file carried after them, no metadata (EXIF, a phone's GPS position among
    it; colour profiles, text chunks), turned upright as its EXIF said, and
    at most ``STORED_SIDE`` pixels on its longer side.
    """
    if file.size > MAX_BYTES:
        raise ValidationError(
            _(
                "This file is %(size)s MB; a picture can be at most 5 MB. Save it "
                "smaller (about 2,000 pixels wide is plenty) and upload it again."
            ),
            code="too_large",
            params={"size": megabytes(file.size)},
        )
    file.seek(0)
    try:
        # Lazy: only the header is read, so the size is known before decoding.
        image = Image.open(file, formats=FORMATS)
    except Image.DecompressionBombError as error:
        raise too_many_pixels() from error
    except Exception as error:  # Pillow raises many kinds for what it cannot read
        if looks_like_svg(file):
            raise ValidationError(
                _("SVG files cannot be uploaded; use PNG, JPEG or WebP."),
                code="svg",
            ) from error
        raise ValidationError(NOT_IMAGE, code="not_image") from error
    with image:
        if image.format not in ACCEPTED:
            raise ValidationError(NOT_IMAGE, code="not_image")
        width, height = image.size
        if width * height > MAX_PIXELS or max(width, height) > MAX_SIDE:
            raise too_many_pixels(width, height)
        kind = image.format
        try:
            upright = shrunk(image, STORED_SIDE)
        except Exception as error:
            raise ValidationError(
                _(
                    "This picture is damaged or incomplete: part of the file is "
                    "missing. Save or export it again and upload the new file."
                ),
                code="damaged",
            ) from error
        out = io.BytesIO()
        saved_as = "JPEG" if kind == "MPO" else kind
        # No EXIF, profile or text passed on: only the pixels are written.
        upright.info = {}
        upright.save(out, saved_as, **SAVE_OPTIONS.get(saved_as, {}))
    return SimpleUploadedFile(
        named_for(file.name or "picture", kind),
        out.getvalue(),
        content_type=Image.MIME[saved_as],
    )


def shrunk(image, side):
    """
    ``image`` (opened, not yet decoded) decoded at most ``side`` pixels on
    its longer side, upright as its EXIF says, in RGB or RGBA; ``image``
    itself when nothing had to change, so used before it is closed. Never
    decoded larger than its file (a JPEG decodes at 1/2, 1/4 or 1/8 of its
    size, ``draft``), never copied whole (``thumbnail`` reduces in place).
    """
    width, height = image.size
    scale = min(1, side / max(width, height))
    target = (max(1, round(width * scale)), max(1, round(height * scale)))
    image.draft(None, target)
    image.load()
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    # A box reduction by a whole factor, then a fine resampling of what is
    # left: one decoded picture and a quarter of it, at most.
    image.thumbnail(target, Image.Resampling.LANCZOS, reducing_gap=1.0)
    upright = ImageOps.exif_transpose(image, in_place=True) or image
    mode = "RGBA" if has_alpha else "RGB"
    return upright.convert(mode) if upright.mode != mode else upright


def named_for(name, kind):
    """``name`` ending as a ``kind`` picture's should: photo.txt as photo.png."""
    path = PurePosixPath(name)
    if path.suffix.lower() in SUFFIXES[kind]:
        return name
    return str(path.with_suffix(SUFFIXES[kind][0]))


def too_many_pixels(width=None, height=None):
    limits = {"side": f"{MAX_SIDE:,}", "megapixels": MAX_PIXELS // 1_000_000}
    if not width:
        return ValidationError(
            _(
                "This picture has too many pixels; a picture can be at most "
                "%(side)s pixels on a side and %(megapixels)s megapixels in all. "
                "Resize it and upload it again."
            ),
            code="too_many_pixels",
            params=limits,
        )
    return ValidationError(
        _(
            "This picture is %(width)s × %(height)s pixels; a picture can be at "
            "most %(side)s pixels on a side and %(megapixels)s megapixels in all. "
            "Resize it and upload it again."
        ),
        code="too_many_pixels",
        params={**limits, "width": f"{width:,}", "height": f"{height:,}"},
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
            upright = shrunk(image, STORED_SIDE)
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
