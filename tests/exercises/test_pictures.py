import io
import json
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.forms.models import model_to_dict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from PIL import Image

from exercises.cache import catalogue_version
from exercises.models import Exercise
from exercises.pictures import clean_picture, renditions_make
from tests.factories import ExerciseFactory, RoutineFactory, RoutineStepFactory
from tests.helpers import admin_fields, count_queries, picture_bytes, text_of

FIELDS = ["slug", "name", "position", "instructions", "cues", "picture_alt"]
ALT = "Lying on the back, knees bent, the lower back pressed to the floor."
NOT_AN_IMAGE = "This file is not a PNG, JPEG or WebP picture."
DAMAGED = "This picture is damaged or incomplete"
TOO_MANY_PIXELS = "at most 10,000 pixels on a side and 25 megapixels in all"
SVG = "SVG files cannot be uploaded; use PNG, JPEG or WebP."


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploads go to a folder of the test's own, never the project's media/."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def png_claiming(width, height):
    """A PNG whose header claims ``width`` × ``height`` and holds no pixels."""

    def chunk(kind, data):
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )


def upload(name, content, content_type="image/png"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def change_url(exercise):
    return f"/admin/exercises/exercise/{exercise.pk}/change/"


def post_picture(client, exercise, picture=None, **changes):
    """Post the exercise's admin form as it stands, with ``picture`` and ``changes``."""
    data = model_to_dict(exercise, fields=FIELDS)
    data["contraindications"] = [w.pk for w in exercise.contraindications.all()]
    data.update({"picture_alt": ALT, "_save": "Save", **changes})
    data = admin_fields(Exercise, data)
    if picture is not None:
        data["picture"] = picture
    return client.post(change_url(exercise), data)


def stored(media):
    return sorted(
        str(path.relative_to(media)) for path in media.rglob("*") if path.is_file()
    )


def row(exercise):
    fields = [*FIELDS, "picture", "picture_width", "picture_renditions"]
    return list(Exercise.objects.filter(pk=exercise.pk).values(*fields))


@pytest.mark.parametrize(
    ("name", "kind", "content_type"),
    [
        ("tilt.png", "PNG", "image/png"),
        ("tilt.jpg", "JPEG", "image/jpeg"),
        ("tilt.webp", "WEBP", "image/webp"),
    ],
)
def test_an_editor_uploads_a_picture_and_its_resized_copies_are_made(
    admin_client, exercise, media, name, kind, content_type
):
    content = picture_bytes(1200, 900, kind)

    response = post_picture(admin_client, exercise, upload(name, content, content_type))

    assert response.status_code == 302
    exercise.refresh_from_db()
    assert exercise.has_picture
    assert exercise.picture.name == f"exercises/{name}"
    assert (exercise.picture_width, exercise.picture_height) == (1200, 900)
    assert exercise.picture_alt == ALT
    # Stored as Pillow re-encodes it: the same picture, in the same format.
    with (
        Image.open(media / "exercises" / name) as kept,
        Image.open(io.BytesIO(content)) as sent,
    ):
        assert (kept.format, kept.size) == (sent.format, sent.size)
        if kind == "PNG":
            assert kept.tobytes() == sent.convert(kept.mode).tobytes()
    stem = name.rsplit(".", 1)[0]
    assert exercise.picture_renditions == [
        {"width": w, "height": h, "name": f"exercises/{stem}-{w}w.webp"}
        for w, h in [(320, 240), (640, 480), (1024, 768)]
    ]
    for copy in exercise.picture_renditions:
        with Image.open(media / copy["name"]) as made:
            assert (made.format, made.size) == ("WEBP", (copy["width"], copy["height"]))
    assert exercise.picture_srcset == (
        f"/media/exercises/{stem}-320w.webp 320w, "
        f"/media/exercises/{stem}-640w.webp 640w, "
        f"/media/exercises/{stem}-1024w.webp 1024w"
    )
    assert exercise.picture_src == f"/media/exercises/{stem}-640w.webp"
    assert (exercise.picture_src_width, exercise.picture_src_height) == (640, 480)


@pytest.mark.parametrize(
    ("width", "widths"),
    [(700, [320, 640]), (400, [320]), (200, [200])],
)
def test_a_picture_is_never_enlarged(admin_client, exercise, width, widths):
    post_picture(admin_client, exercise, upload("small.png", picture_bytes(width, 100)))

    exercise.refresh_from_db()
    assert [copy["width"] for copy in exercise.picture_renditions] == widths
    assert exercise.picture_src == f"/media/exercises/small-{widths[-1]}w.webp"
    assert exercise.picture_srcset.endswith(f"-{widths[-1]}w.webp {widths[-1]}w")


def test_an_exercise_without_a_picture_offers_none(exercise):
    assert not exercise.has_picture
    assert exercise.picture_srcset == exercise.picture_src == ""
    assert exercise.picture_src_width is None


def test_a_picture_without_copies_is_offered_itself():
    # As a row may be made outside the admin: loaddata, the shell.
    exercise = Exercise(
        picture="exercises/tiny.png", picture_width=200, picture_height=100
    )

    assert exercise.picture_srcset == "/media/exercises/tiny.png 200w"
    assert exercise.picture_src == "/media/exercises/tiny.png"
    assert (exercise.picture_src_width, exercise.picture_src_height) == (200, 100)


def test_copies_made_before_a_failure_are_removed(exercise, media, monkeypatch):
    exercise.picture.save("tilt.png", ContentFile(picture_bytes(700, 500)), save=False)
    real_save = FileSystemStorage._save

    def full_at_640(storage, name, content):
        if "-640w" in name:
            raise OSError("No space left on device")
        return real_save(storage, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", full_at_640)

    with pytest.raises(OSError):
        renditions_make(exercise)
    assert stored(media) == ["exercises/tilt.png"]
    assert exercise.picture_renditions == []


def test_the_picture_is_read_from_the_row_alone(admin_client, exercise):
    post_picture(admin_client, exercise, upload("tilt.png", picture_bytes(900, 600)))

    with CaptureQueriesContext(connection) as captured:
        pictured = Exercise.objects.get(slug="pelvic-tilt")
        shown = (
            pictured.has_picture,
            pictured.picture_srcset,
            pictured.picture_src,
            pictured.picture_src_width,
            pictured.picture_alt,
        )
    assert len(captured) == 1
    assert shown[0] and shown[1] and shown[2] and shown[3] == 640


def test_an_exercise_page_with_a_picture_costs_no_more_queries(
    admin_client, client, exercise
):
    plain = ExerciseFactory(slug="knee-rocks", name="Knee rocks")
    routine = RoutineFactory(slug="gentle", title="Gentle")
    RoutineStepFactory(routine=routine, exercise=exercise, order=1)
    RoutineStepFactory(routine=routine, exercise=plain, order=2)
    post_picture(admin_client, exercise, upload("tilt.png", picture_bytes(900, 600)))
    assert Exercise.objects.get(slug="pelvic-tilt").has_picture
    cache.clear()

    pictured_page = count_queries(client, "/exercises/pelvic-tilt/")
    plain_page = count_queries(client, "/exercises/knee-rocks/")

    assert len(pictured_page) <= len(plain_page)
    # The routine's pages pickle the exercise into the shared cache: served
    # again from there with its picture.
    assert client.get("/routines/gentle/").status_code == 200
    assert len(count_queries(client, "/routines/gentle/")) == 1  # the version


def test_a_picture_change_renews_the_cached_catalogue_pages(
    admin_client, exercise, django_capture_on_commit_callbacks
):
    visitor = Client()
    url = "/exercises/pelvic-tilt/"
    visitor.get(url)
    # Served from the cache: only the catalogue's version is read.
    assert len(count_queries(visitor, url)) == 1
    version = catalogue_version()

    with django_capture_on_commit_callbacks(execute=True):
        response = post_picture(
            admin_client, exercise, upload("tilt.png", picture_bytes(900, 600))
        )

    assert response.status_code == 302
    assert Exercise.objects.get(slug="pelvic-tilt").has_picture
    assert catalogue_version() != version
    assert len(count_queries(visitor, url)) > 1  # rendered afresh

    version = catalogue_version()
    with django_capture_on_commit_callbacks(execute=True):
        post_picture(admin_client, exercise, **{"picture-clear": "on"})
    assert catalogue_version() != version


def refused(admin_client, exercise, media, picture, message, **changes):
    """Post ``picture``: the form comes back with ``message`` and nothing is kept."""
    before = row(exercise)

    response = post_picture(admin_client, exercise, picture, **changes)

    assert response.status_code == 200
    page = text_of(response)
    assert "Please correct the error below." in page
    assert message in page
    assert stored(media) == []
    assert row(exercise) == before
    return page


TEXT = b"Hello, I am a text file.\n" * 40
SVG_FILE = b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>'
SVG_XML = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>'
PIXELS = "This picture is {} pixels; a picture can be " + TOO_MANY_PIXELS
# (name, content, content type, what the editor reads, the error's code)
BAD_UPLOADS = [
    ("photo.png", TEXT, "image/png", NOT_AN_IMAGE, "not_image"),
    (
        "photo.gif",
        picture_bytes(300, 200, "GIF"),
        "image/gif",
        NOT_AN_IMAGE,
        "not_image",
    ),
    ("drawing.svg", SVG_FILE, "image/svg+xml", SVG, "svg"),
    ("drawing.png", SVG_XML, "image/png", SVG, "svg"),
    (
        "cut.png",
        picture_bytes(300, 300, noise=True)[:20_000],
        "image/png",
        DAMAGED,
        "damaged",
    ),
    (
        "cut.jpg",
        picture_bytes(300, 300, "JPEG", noise=True)[:10_000],
        "image/jpeg",
        DAMAGED,
        "damaged",
    ),
    (
        "bomb.png",
        png_claiming(30_000, 30_000),
        "image/png",
        "This picture has too many pixels; a picture can be " + TOO_MANY_PIXELS,
        "too_many_pixels",
    ),
    (
        "wide.png",
        png_claiming(12_000, 100),
        "image/png",
        PIXELS.format("12,000 × 100"),
        "too_many_pixels",
    ),
    (
        "big.png",
        png_claiming(8_000, 6_000),
        "image/png",
        PIXELS.format("8,000 × 6,000"),
        "too_many_pixels",
    ),
    # 30 megapixels: over the limit of 25, under 10,000 a side.
    (
        "thirty.png",
        png_claiming(6_000, 5_000),
        "image/png",
        PIXELS.format("6,000 × 5,000"),
        "too_many_pixels",
    ),
]
NAMES = [upload[0] for upload in BAD_UPLOADS]


@pytest.mark.parametrize(
    ("name", "content", "content_type", "message", "code"), BAD_UPLOADS, ids=NAMES
)
def test_a_bad_upload_is_refused_with_a_message_and_nothing_is_stored(
    admin_client, exercise, media, name, content, content_type, message, code
):
    refused(admin_client, exercise, media, upload(name, content, content_type), message)


@pytest.mark.parametrize(
    ("name", "content", "content_type", "message", "code"), BAD_UPLOADS, ids=NAMES
)
def test_each_refusal_has_its_code(name, content, content_type, message, code):
    with pytest.raises(ValidationError) as refusal:
        clean_picture(upload(name, content, content_type))

    assert refusal.value.code == code


def test_an_empty_file_is_refused(admin_client, exercise, media):
    empty = upload("photo.jpg", b"", "image/jpeg")
    refused(admin_client, exercise, media, empty, "The submitted file is empty.")


def test_a_picture_is_taken_for_what_it_decodes_to_not_its_name(
    admin_client, exercise, media
):
    png = upload("notes.txt", picture_bytes(400, 300), "text/plain")
    jpeg = upload("photo.JPEG", picture_bytes(400, 300, "JPEG"), "image/png")

    for picture, name, kind in [
        (png, "notes.png", "PNG"),
        (jpeg, "photo.JPEG", "JPEG"),
    ]:
        response = post_picture(admin_client, exercise, picture)

        assert response.status_code == 302
        assert Exercise.objects.get(pk=exercise.pk).picture.name == f"exercises/{name}"
        with Image.open(media / "exercises" / name) as image:
            assert image.format == kind


@pytest.mark.parametrize("megabytes", [6, 50])
def test_a_picture_over_5_mb_is_refused_before_it_is_decoded(
    admin_client, exercise, media, megabytes
):
    # A real PNG followed by padding that decoders ignore: only its size is wrong.
    content = picture_bytes(300, 200) + b"\0" * (megabytes * 1024 * 1024)
    started = time.monotonic()

    refused(
        admin_client,
        exercise,
        media,
        upload("huge.png", content),
        f"This file is {megabytes} MB; a picture can be at most 5 MB.",
    )
    assert time.monotonic() - started < 10


def test_a_bad_upload_keeps_the_picture_already_there(admin_client, exercise, media):
    post_picture(admin_client, exercise, upload("tilt.png", picture_bytes(700, 500)))
    kept = stored(media)
    before = row(exercise)

    response = post_picture(admin_client, exercise, upload("photo.png", b"text"))

    assert NOT_AN_IMAGE in text_of(response)
    assert stored(media) == kept
    assert row(exercise) == before


def test_a_picture_needs_its_text_alternative(admin_client, exercise, media):
    page = refused(
        admin_client,
        exercise,
        media,
        upload("tilt.png", picture_bytes(700, 500)),
        "Say in a sentence what the picture shows: it is read aloud to people "
        "who cannot see it.",
        picture_alt="",
    )
    assert "read aloud to people who cannot see it" in page  # the help text


def test_a_kept_picture_cannot_lose_its_text_alternative(admin_client, exercise, media):
    post_picture(admin_client, exercise, upload("tilt.png", picture_bytes(700, 500)))
    exercise.refresh_from_db()

    response = post_picture(admin_client, exercise, picture_alt="")

    assert response.status_code == 200
    assert "Say in a sentence what the picture shows" in text_of(response)
    assert Exercise.objects.get(pk=exercise.pk).picture_alt == ALT


def test_clearing_the_picture_removes_it_and_its_copies(
    admin_client, exercise, media, django_capture_on_commit_callbacks
):
    post_picture(admin_client, exercise, upload("tilt.png", picture_bytes(1100, 800)))
    assert len(stored(media)) == 4
    exercise.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        response = post_picture(
            admin_client, exercise, picture_alt="", **{"picture-clear": "on"}
        )

    assert response.status_code == 302
    exercise.refresh_from_db()
    assert not exercise.has_picture
    assert exercise.picture_renditions == []
    assert exercise.picture_width is None
    assert exercise.picture_srcset == exercise.picture_src == ""
    assert stored(media) == []


def test_replacing_the_picture_replaces_its_copies(
    admin_client, exercise, media, django_capture_on_commit_callbacks
):
    post_picture(admin_client, exercise, upload("first.png", picture_bytes(1100, 800)))
    exercise.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        post_picture(
            admin_client,
            exercise,
            upload("second.jpg", picture_bytes(500, 250, "JPEG")),
        )

    exercise.refresh_from_db()
    assert exercise.picture.name == "exercises/second.jpg"
    assert stored(media) == ["exercises/second-320w.webp", "exercises/second.jpg"]
    assert exercise.picture_srcset == "/media/exercises/second-320w.webp 320w"


class OverwritingStorage(FileSystemStorage):
    """As S3's storage by default: a new file takes an old one's name."""

    def get_available_name(self, name, max_length=None):
        self.delete(name)
        return name


def test_a_storage_that_overwrites_keeps_the_new_picture_of_the_same_name(
    admin_client, exercise, media, settings, django_capture_on_commit_callbacks
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": f"{__name__}.OverwritingStorage"},
    }
    post_picture(admin_client, exercise, upload("tilt.png", picture_bytes(700, 500)))
    exercise.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        post_picture(
            admin_client, exercise, upload("tilt.png", picture_bytes(660, 500))
        )

    exercise.refresh_from_db()
    assert exercise.picture.name == "exercises/tilt.png"
    assert stored(media) == [
        "exercises/tilt-320w.webp",
        "exercises/tilt-640w.webp",
        "exercises/tilt.png",
    ]
    assert exercise.picture_width == 660


def test_an_unchanged_picture_keeps_its_files(
    admin_client, exercise, media, django_capture_on_commit_callbacks
):
    post_picture(admin_client, exercise, upload("tilt.png", picture_bytes(700, 500)))
    exercise.refresh_from_db()
    kept = stored(media)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_picture(admin_client, exercise, name="Pelvic tilts")

    assert response.status_code == 302
    assert stored(media) == kept
    assert Exercise.objects.get(pk=exercise.pk).picture_renditions == (
        exercise.picture_renditions
    )


@pytest.fixture
def deleting(admin_client, exercise, media, django_capture_on_commit_callbacks):
    """Give the exercise a picture of ``size`` (``renditions`` files kept), then
    post ``data`` to the admin's ``url``: the exercise and its files are gone."""

    def delete(size, renditions, url, data):
        post_picture(admin_client, exercise, upload("tilt.png", picture_bytes(*size)))
        assert len(stored(media)) == renditions

        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(url, data)

        assert response.status_code == 302
        assert not Exercise.objects.filter(pk=exercise.pk).exists()
        assert stored(media) == []

    return delete


def test_deleting_an_exercise_removes_its_picture(deleting, exercise):
    url = f"/admin/exercises/exercise/{exercise.pk}/delete/"
    deleting((700, 500), 3, url, {"post": "yes"})


def test_deleting_exercises_from_the_list_removes_their_pictures(deleting, exercise):
    deleting(
        (400, 300),
        2,
        "/admin/exercises/exercise/",
        {"action": "delete_selected", "_selected_action": [exercise.pk], "post": "yes"},
    )


def test_the_change_form_offers_the_picture_and_its_text_alternative(
    admin_client, exercise
):
    page = admin_client.get(change_url(exercise)).content.decode()

    assert 'enctype="multipart/form-data"' in page
    assert '<input type="file" name="picture"' in page
    assert 'name="picture_alt_en_gb"' in page
    assert "PNG, JPEG or WebP picture of the exercise, at most 5 MB" in page


# What is stored is what Pillow re-encodes (issue 27.12): the pixels, nothing
# the file carried besides them.

APPENDED = b"<script>alert(1)</script><?php system($_GET['c']); ?>"


def picture_with_gps(kind, width=400, height=300, orientation=1):
    """A picture whose EXIF says where it was taken, as a phone's photo does."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = orientation  # Orientation
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 26.0), 3: "W", 4: (0.0, 7.0, 39.0)}
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    out = io.BytesIO()
    image.save(out, kind, exif=exif.tobytes())
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "kind"), [("x.png", "PNG"), ("x.jpg", "JPEG"), ("x.webp", "WEBP")]
)
def test_bytes_after_the_picture_are_not_stored(
    admin_client, exercise, media, name, kind
):
    content = picture_bytes(300, 200, kind) + APPENDED

    response = post_picture(admin_client, exercise, upload(name, content))

    assert response.status_code == 302
    kept = (media / "exercises" / name).read_bytes()
    assert b"<script" not in kept
    assert b"<?php" not in kept
    with Image.open(io.BytesIO(kept)) as image:
        assert (image.format, image.size) == (kind, (300, 200))
    for path in media.rglob("*"):
        if path.is_file():
            assert b"<script" not in path.read_bytes(), path


@pytest.mark.parametrize(
    ("name", "kind"), [("gps.jpg", "JPEG"), ("gps.png", "PNG"), ("gps.webp", "WEBP")]
)
def test_a_photos_location_and_other_metadata_are_not_stored(
    admin_client, exercise, media, name, kind
):
    content = picture_with_gps(kind)
    with Image.open(io.BytesIO(content)) as sent:
        assert sent.getexif().get_ifd(0x8825)  # the upload has a GPS position

    post_picture(admin_client, exercise, upload(name, content))

    kept = (media / "exercises" / name).read_bytes()
    assert b"PhoneMaker" not in kept
    assert b"Exif" not in kept
    with Image.open(io.BytesIO(kept)) as image:
        assert not image.getexif()
        assert "exif" not in image.info
        assert "icc_profile" not in image.info


def test_a_photo_turned_by_its_exif_is_stored_upright(admin_client, exercise, media):
    # Orientation 6: the camera was turned; the pixels are stored 400 × 300.
    content = picture_with_gps("JPEG", 400, 300, orientation=6)

    post_picture(admin_client, exercise, upload("turned.jpg", content))

    exercise.refresh_from_db()
    assert (exercise.picture_width, exercise.picture_height) == (300, 400)
    with Image.open(media / "exercises" / "turned.jpg") as image:
        assert image.size == (300, 400)


def test_a_large_picture_is_stored_no_larger_than_it_is_shown(
    admin_client, exercise, media
):
    post_picture(admin_client, exercise, upload("wide.png", picture_bytes(4000, 1000)))

    exercise.refresh_from_db()
    assert (exercise.picture_width, exercise.picture_height) == (2048, 512)
    assert [c["width"] for c in exercise.picture_renditions] == [320, 640, 1024]


# Peak memory of an upload of the largest picture accepted (25 megapixels),
# measured in a process of its own: the high-water mark of its resident
# memory above what it held before the upload. The pixels of a 25-megapixel
# picture decoded whole take 100 MB (Pillow keeps 4 bytes a pixel): a JPEG
# is decoded at a fraction of its size, a PNG once, never copied whole.
MEASURE = """
import io, json, os, resource, sys
os.environ["DATABASE_URL"] = "sqlite://:memory:"
os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
import django
django.setup()
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.forms.models import model_to_dict
from django.test import Client
from django.test.utils import override_settings, setup_test_environment
from django.contrib.auth import get_user_model
from exercises.models import Exercise

setup_test_environment()
call_command("migrate", verbosity=0)
exercise = Exercise.objects.create(
    slug="pelvic-tilt", name="Pelvic tilt", position="Lying on your back",
    instructions="Lie on your back.", cues="",
)
admin = get_user_model().objects.create_superuser("admin", "a@example.com", "pw")
client = Client()
client.force_login(admin)
data = model_to_dict(exercise, fields=%(fields)r)
data.update({"picture_alt": "A person.", "_save": "Save"})
data = {(k + "_en_gb" if k in %(fields)r[1:] else k): v for k, v in data.items()}
content = open(sys.argv[1], "rb").read()
url = f"/admin/exercises/exercise/{exercise.pk}/change/"
client.get(url)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with override_settings(MEDIA_ROOT=sys.argv[2]):
    data["picture"] = SimpleUploadedFile(sys.argv[3], content)
    status = client.post(url, data).status_code
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
copies = Exercise.objects.values_list("picture_renditions", flat=True).get()
print(json.dumps({"status": status, "kib": after - before, "copies": len(copies)}))
"""


def upload_peak_memory(content, name, tmp_path):
    """The upload's peak memory in MB, in a fresh process, and what it made."""
    sent = tmp_path / "sent"
    sent.write_bytes(content)
    (tmp_path / "media").mkdir()
    root = Path(__file__).resolve().parents[2]
    finished = subprocess.run(
        [
            sys.executable,
            "-c",
            MEASURE % {"fields": FIELDS},
            str(sent),
            str(tmp_path / "media"),
            name,
        ],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        env={"DJANGO_SETTINGS_MODULE": "backcare_site.settings", "PATH": ""},
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    answer = json.loads(finished.stdout.strip().splitlines()[-1])
    return answer["kib"] / 1024, answer


def flat_picture(width, height, kind):
    """A picture of one colour: megapixels in a few kilobytes."""
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(out, kind)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "kind", "most"),
    [
        # Its pixels decoded once (at most 100 MB), reduced in place, and
        # the copies made from what is kept: never the picture copied whole.
        ("big.png", "PNG", 100),
        # Decoded at half its width and height, no more than is kept.
        ("big.jpg", "JPEG", 30),
    ],
)
def test_an_upload_of_25_megapixels_keeps_the_workers_memory_bounded(
    tmp_path, name, kind, most
):
    content = flat_picture(5_000, 5_000, kind)
    assert len(content) < 5 * 1024 * 1024

    megabytes, answer = upload_peak_memory(content, name, tmp_path)

    assert answer["status"] == 302
    assert answer["copies"] == 3
    assert megabytes < most, f"{megabytes:.0f} MB"
