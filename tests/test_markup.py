"""
An editor's text is shown as text, never run as markup (DESIGN.md §8, issue 11).

Every text field of every catalogue model is filled with a tag that would
redirect or run script if a page let it through, a different one per field;
then every page of the URLconf is read by a visitor and by a person whose
screening flags the routine. No page may carry the tag, and each field must
be shown, escaped, on some page: a field no page shows is named, not passed.
"""

from collections import namedtuple

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.files.base import ContentFile
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from modeltranslation.translator import NotRegistered, translator

from accounts.models import CompletedSession
from exercises.models import Contraindication, Exercise, Routine, Severity
from tests.factories import (
    ContraindicationFactory,
    ExerciseFactory,
    RoutineFactory,
    RoutineStepFactory,
    UserFactory,
)
from tests.helpers import html, picture_bytes, signed_in_client, url_patterns

# Fragments of the markers that must never reach a page unescaped.
RAW = ('<meta http-equiv="refresh"', "<script>alert(")

# Text the catalogue app keeps that no editor writes and no page shows.
NOT_SHOWN = {
    # load_catalogue's record of the rows it loaded, written from the seed
    # file: neither the site nor the admin shows it.
    "seedrow.model",
    "seedrow.key",
    # The catalogue's version, a random token no one types.
    "catalogueversion.token",
}

ROUTINES = ["strength", "aerobic"]

Page = namedtuple("Page", "who method path status body")


def catalogue_models():
    return list(apps.get_app_config("exercises").get_models())


def text_fields(model):
    """
    What an editor types: text, not a slug or a choice; a translated text in
    each language's column (``title_zh_hans``), not the field that reads the
    current language's.
    """
    try:
        translated = translator.get_options_for_model(model).get_field_names()
    except NotRegistered:
        translated = []
    return [
        field
        for field in model._meta.get_fields()
        if isinstance(field, models.CharField | models.TextField)
        and not isinstance(field, models.SlugField)
        and not field.choices
        and field.name not in translated
    ]


def label(field):
    return f"{field.model._meta.model_name}.{field.name}"


def marker(field):
    # The label appears once so that the marker fits a 120-character title.
    return (
        f'<meta http-equiv="refresh" content="0;url=https://evil.example/'
        f'{label(field)}"><script>alert(1)</script>'
    )


def markup(model):
    """Every text field of ``model`` set to its own marker."""
    values = {}
    for field in text_fields(model):
        values[field.name] = marker(field)
        # SQLite ignores max_length; PostgreSQL would refuse a longer marker.
        assert len(values[field.name]) <= (field.max_length or 2000), label(field)
    return values


def every_marker():
    return {
        label(field): marker(field)
        for model in catalogue_models()
        for field in text_fields(model)
    }


def leaks(pages):
    """Each page that carries an editor's markup unescaped, with the field."""
    found = []
    for page in pages:
        where = f"{page.who} {page.method} {page.path}"
        fields = [name for name, text in every_marker().items() if text in page.body]
        # A marker cut short (truncated, split) is still a leak.
        fragments = [repr(text) for text in RAW if text in page.body]
        found += [f"{where}: {name}" for name in fields or fragments]
    return found


def shown_escaped(pages):
    return {
        name
        for name, text in every_marker().items()
        if any(escape(text) in page.body for page in pages)
    }


@pytest.fixture
def marked_catalogue(db, settings, tmp_path):
    """
    Markup in every text field: a warning of each severity, each with a
    screening question, on a routine and on its first exercise; a routine of
    each kind, with steps that count, hold and time, one with an editor's
    picture; an exercise no routine uses. Returns the warning whose question
    was removed (below).
    """
    settings.MEDIA_ROOT = tmp_path
    warnings = [
        ContraindicationFactory(
            slug=f"warning-{severity}", severity=severity, **markup(Contraindication)
        )
        for severity in Severity.values
    ]
    # An AVOID warning whose question an editor removed after the person had
    # answered “yes”: the routine names it by its title instead.
    former = ContraindicationFactory(
        slug="warning-former",
        severity=Severity.AVOID,
        **{**markup(Contraindication), "screening_question": ""},
    )
    flagged = ExerciseFactory(
        slug="flagged", **markup(Exercise), contraindications=[*warnings, former]
    )
    held = ExerciseFactory(slug="held", **markup(Exercise))
    held.picture.save("held.png", ContentFile(picture_bytes(400, 300)))
    timed = ExerciseFactory(slug="timed", **markup(Exercise))
    ExerciseFactory(slug="unused", **markup(Exercise))

    strength = RoutineFactory(
        slug="strength",
        kind=Routine.Kind.STRENGTH,
        **markup(Routine),
        contraindications=warnings,
    )
    RoutineStepFactory(routine=strength, exercise=flagged, order=1)
    RoutineStepFactory(
        routine=strength, exercise=held, order=2, hold_seconds=5, each_side=True
    )
    RoutineStepFactory(
        routine=strength,
        exercise=timed,
        order=3,
        repetitions=None,
        duration_min_minutes=10,
        duration_max_minutes=20,
    )
    aerobic = RoutineFactory(
        slug="aerobic", kind=Routine.Kind.AEROBIC, **markup(Routine)
    )
    RoutineStepFactory(
        routine=aerobic,
        exercise=timed,
        order=1,
        repetitions=None,
        duration_min_minutes=20,
    )
    return former


def answer_yes(client):
    """The person says “yes” to every screening question."""
    questions = Contraindication.objects.exclude(screening_question="")
    data = {f"condition_{warning.pk}": "yes" for warning in questions}
    assert client.post("/accounts/screening/", data).status_code == 302


class Walk:
    """Requests that keep every HTML page read, by whom and how."""

    def __init__(self):
        self.pages = []

    def request(self, who, client, method, path, data=None, status=None, **kwargs):
        response = getattr(client, method)(path, data or {}, **kwargs)
        if status is not None:
            assert response.status_code == status, (who, method, path)
        assert response.status_code < 500, (who, method, path)
        if response["Content-Type"].startswith("text/html"):
            # After redirects followed, the page read is the last one.
            last = response.request
            page = Page(
                who,
                last["REQUEST_METHOD"],
                last["PATH_INFO"],
                response.status_code,
                html(response),
            )
            self.pages.append(page)
        return response

    def guide(self, who, client, slug, prefix=""):
        """The guided session from the safety check to the finish page."""
        start = f"{prefix}/routines/{slug}/guide/"
        self.request(who, client, "post", start, {"acknowledged": "on"}, 302)
        number = 1
        while True:
            path = f"{start}{number}/"
            step = self.request(who, client, "get", path, status=200)
            if step.context["flagged"]:
                self.request(who, client, "post", path, {"action": "override"}, 302)
                self.request(who, client, "get", path, status=200)
            done = self.request(who, client, "post", path, {"action": "done"}, 302)
            if done.url.endswith("/finish/"):
                break
            number += 1
        self.request(who, client, "get", f"{start}finish/", status=200)

    def every_url(self, who, client, session):
        """Each page of the URLconf (outside the admin), with every value it takes."""
        values = {
            ("slug",): [
                {"slug": s} for s in Routine.objects.values_list("slug", flat=True)
            ],
            ("slug", "number"): [
                {"slug": step.routine.slug, "number": step.order}
                for routine in Routine.objects.prefetch_related("steps__routine")
                for step in routine.steps.all()
            ],
            ("pk",): [{"pk": session.pk}],
            ("uidb64", "token"): [{"uidb64": "x", "token": "x"}],
        }
        exercises = [
            {"slug": s} for s in Exercise.objects.values_list("slug", flat=True)
        ]
        seen = set()
        for route, name, kwargs in url_patterns():
            if not kwargs:
                paths = [f"/{route}"]
            else:
                assert kwargs in values, f"{name}: no values for {kwargs} in the walk"
                fills = exercises if name == "exercises:exercise" else values[kwargs]
                paths = [reverse(name, kwargs=fill) for fill in fills]
            for path in paths:
                if path not in seen:
                    seen.add(path)
                    self.request(who, client, "get", path)


@pytest.fixture
def pages(marked_catalogue):
    walk = Walk()

    # A person who answered “yes” to every question, and kept an answer to a
    # question since removed; the safety check asks for a doctor's clearance.
    person = UserFactory(username="alex")
    client = signed_in_client(person)
    answer_yes(client)
    person.conditions.add(marked_catalogue)
    for slug in ROUTINES:
        walk.request("person", client, "get", f"/routines/{slug}/guide/", status=200)
        walk.request("person", client, "post", f"/routines/{slug}/guide/", status=400)
    clearance = {"cleared": "on", "next": "/routines/strength/guide/"}
    walk.request("person", client, "post", "/accounts/doctor-clearance/", clearance)
    for slug in ROUTINES:
        walk.guide("person", client, slug)
    saved = walk.request(
        "person",
        client,
        "post",
        "/progress/save/strength/",
        {"pain_before": "5", "pain_after": "3", "notes": "Fine."},
        302,
    )
    session = person.completed_sessions.get()
    # Saved, the session's page, which offers a plan while none is chosen.
    assert saved.url == session.get_absolute_url()
    walk.request("person", client, "get", saved.url, status=200)
    plan = f"/progress/plan/?next={session.get_absolute_url()}"
    walk.request("person", client, "get", plan, status=200)
    # Forms with errors: crispy renders help text there too.
    invalid = {"pain_after": "99"}
    walk.request("person", client, "post", "/progress/save/strength/", invalid, 400)
    walk.request("person", client, "post", "/accounts/screening/", status=400)
    profile = {"from": "profile"}
    walk.request("person", client, "post", "/accounts/screening/", profile, 400)
    walk.every_url("person", client, session)
    # The same in Chinese: each text's Chinese column is on these pages.
    with translation.override("zh-hans"):
        for slug in ROUTINES:
            walk.guide("person", client, slug, prefix="/zh-hans")
        walk.every_url("person", client, session)

    visitor = Client()
    for slug in ROUTINES:
        walk.request("visitor", visitor, "get", f"/routines/{slug}/guide/", status=200)
        walk.guide("visitor", visitor, slug)
    walk.every_url("visitor", visitor, session)
    # The visitor saves the session, then signs up: a message names the routine.
    save = {"pain_before": "4", "pain_after": "2", "notes": ""}
    walk.request("visitor", visitor, "post", "/progress/save/strength/", save, 302)
    passphrase = "a long pass phrase 42"
    signup = {
        "username": "newbie",
        "password1": passphrase,
        "password2": passphrase,
        "health_data_consent": "on",
    }
    walk.request(
        "visitor", visitor, "post", "/accounts/signup/", signup, 200, follow=True
    )
    return walk.pages


def test_the_walk_reads_every_page_that_shows_the_catalogue(pages):
    rendered = {(page.who, page.path) for page in pages if page.status == 200}
    catalogue = ["/", "/about/"]
    catalogue += [exercise.get_absolute_url() for exercise in Exercise.objects.all()]
    for routine in Routine.objects.all():
        guide = reverse("exercises:guide_start", kwargs={"slug": routine.slug})
        catalogue += [routine.get_absolute_url(), guide, f"{guide}finish/"]
        catalogue += [f"{guide}{step.order}/" for step in routine.steps.all()]
    session = CompletedSession.objects.get(user__username="alex").get_absolute_url()
    personal = [
        "/progress/",
        "/progress/history/",
        "/progress/log/",
        session,
        f"{session}delete/",
        "/accounts/profile/",
        "/accounts/screening/",
    ]

    expected = {("visitor", path) for path in catalogue}
    expected |= {
        ("visitor", path) for path in ["/accounts/signup/", "/accounts/login/"]
    }
    expected |= {("person", path) for path in catalogue + personal}
    assert sorted(expected - rendered) == []
    # The visitor's saved session, kept once they signed up, named in a message.
    signed_up = pages[-1]
    assert signed_up.path == "/accounts/screening/"
    assert "session was saved to your account" in signed_up.body


def test_no_page_renders_an_editors_markup(pages):
    found = leaks(pages)

    assert found == [], "unescaped:\n" + "\n".join(found)


def test_every_catalogue_text_field_is_shown_escaped_on_some_page(pages):
    shown = shown_escaped(pages)

    assert sorted(set(every_marker()) - shown - NOT_SHOWN) == [], "never shown"
    assert sorted(shown & NOT_SHOWN) == [], "shown: remove from NOT_SHOWN"


def admin_models():
    return [model for model in catalogue_models() if admin.site.is_registered(model)]


@pytest.mark.parametrize("model", admin_models(), ids=lambda m: m._meta.model_name)
def test_the_admin_shows_an_editors_markup_escaped(
    model, marked_catalogue, content_editor_client
):
    opts = model._meta
    prefix = f"admin:{opts.app_label}_{opts.model_name}"
    paths = [reverse(f"{prefix}_changelist")] + [
        reverse(f"{prefix}_change", args=[pk])
        for pk in model.objects.values_list("pk", flat=True)
    ]
    walk = Walk()
    for path in paths:
        walk.request("editor", content_editor_client, "get", path, status=200)

    own = {label(field) for field in text_fields(model)}
    assert leaks(walk.pages) == []
    assert own - shown_escaped(walk.pages) == set()
