"""
Translations are kept complete (issue 29, point 6).

- Every entry of every committed .po is translated and none is fuzzy.
- Each committed .mo holds exactly what its .po says: a .po edited and not
  compiled fails (file times mean nothing after a clone, so the catalogues
  are compared, not the times).
- The .po files hold every string the code marks, and only those
  (``makemessages`` run into a copy of the project; needs GNU gettext).
- No visible text is left unmarked: every page, form with errors, error page
  and e-mail is rendered in a test-only pseudo-language whose every
  translation is the English wrapped in ⟦…⟧, and what is left outside the
  marks may only be the catalogue's own texts, the person's data, numbers
  and punctuation.

All but the ``makemessages`` tests run without GNU gettext: tests/pseudo.py
reads .po files and writes .mo files in Python.
"""

import contextlib
import gettext
import io
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import django
import pytest
from django.apps import apps
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import models
from django.template import loader
from django.test import Client, override_settings
from django.utils import translation
from modeltranslation.translator import translator

from accounts.models import User
from exercises.models import Contraindication, Exercise, Routine
from tests.factories import UserFactory
from tests.helpers import signed_in_client, wait_for_mail
from tests.pseudo import Entry, messages, mo_bytes, read_po
from tests.test_markup import Walk

BASE_DIR = Path(settings.BASE_DIR)
LOCALE = Path(settings.LOCALE_PATHS[0])
PO_FILES = sorted(
    path for folder in settings.LOCALE_PATHS for path in Path(folder).rglob("*.po")
)
# What the project's `makemessages` leaves out (docs/notes: the commands).
IGNORED = [".venv", "tests", "staticfiles", "node_modules"]
GETTEXT_TOOLS = ["xgettext", "msguniq", "msgmerge", "msgattrib"]


def relative(path):
    return Path(path).relative_to(BASE_DIR).as_posix()


def listed(entries, limit=30):
    names = [f"  {entry}" for entry in entries]
    more = [f"  … and {len(names) - limit} more"] if len(names) > limit else []
    return "\n".join(names[:limit] + more)


# 0. The reader and writer the tests rely on

SAMPLE = r"""# A translator's comment.
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"

#. Translators: a note.
#, python-format
msgctxt "hold"
msgid "%(count)s s"
msgstr "%(count)s 秒"

#, fuzzy
msgid ""
"A long line, "
"continued with a \"quote\"."
msgstr "一行"

msgid "%(n)s step"
msgid_plural "%(n)s steps"
msgstr[0] "%(n)s 步"
msgstr[1] ""

#~ msgid "Gone"
#~ msgstr "没了"
"""


def test_the_po_reader_and_mo_writer_agree_with_gnu_gettext(tmp_path):
    """The subset of .po that makemessages writes is read as GNU gettext
    reads it, and the .mo written is what Python's gettext loads."""
    po = tmp_path / "sample.po"
    po.write_text(SAMPLE, encoding="utf-8")

    header, held, fuzzy, plural, gone = read_po(po)

    assert (held.msgctxt, held.msgid, held.msgstr) == (
        "hold",
        "%(count)s s",
        "%(count)s 秒",
    )
    assert held.flags == {"python-format"} and not held.fuzzy
    assert fuzzy.fuzzy and fuzzy.msgid == 'A long line, continued with a "quote".'
    assert plural.msgid_plural == "%(n)s steps"
    assert plural.forms == ["%(n)s 步", ""] and not plural.translated
    assert gone.obsolete and gone.msgid == "Gone"
    compiled = gettext.GNUTranslations(io.BytesIO(mo_bytes([header, held, plural])))
    assert compiled.pgettext("hold", "%(count)s s") == "%(count)s 秒"
    assert compiled.ngettext("%(n)s step", "%(n)s steps", 1) == "%(n)s 步"
    assert compiled._catalog == messages([header, held, plural])


# 1. Every entry translated, none fuzzy


def test_there_are_catalogues_to_check():
    """The checks below run on the committed catalogues, not on nothing."""
    names = {relative(path) for path in PO_FILES}
    assert {
        "backcare_site/locale/zh_Hans/LC_MESSAGES/django.po",
        "backcare_site/locale/zh_Hans/LC_MESSAGES/djangojs.po",
    } <= names


@pytest.mark.parametrize("po", PO_FILES, ids=relative)
def test_every_entry_is_translated_and_none_is_fuzzy(po):
    """A string left in English, or a guess makemessages flagged for review
    (``#, fuzzy``: gettext does not even use it), fails here by its msgid."""
    entries = [entry for entry in read_po(po) if not entry.obsolete]

    untranslated = [entry for entry in entries if entry.msgid and not entry.translated]
    fuzzy = [entry for entry in entries if entry.fuzzy]

    assert untranslated == [], (
        f"untranslated in {relative(po)}:\n{listed(untranslated)}"
    )
    assert fuzzy == [], f"fuzzy in {relative(po)}:\n{listed(fuzzy)}"


# 2. Each .mo is its .po compiled


def without_creation_date(catalogue):
    """msgfmt leaves the header's POT-Creation-Date out of the .mo."""
    header = catalogue.get("")
    if header is None:
        return catalogue
    lines = header.splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith("POT-Creation-Date:")]
    return {**catalogue, "": "".join(kept)}


@pytest.mark.parametrize("po", PO_FILES, ids=relative)
def test_each_compiled_catalogue_is_its_po_compiled(po):
    """
    The .mo the site reads holds every entry of its .po with the same
    translation, and nothing else: a .po edited but not compiled
    (``compilemessages``) fails, naming the entries that differ.
    """
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{relative(po)} is not compiled: no {mo.name}"
    with mo.open("rb") as file:
        compiled = gettext.GNUTranslations(file)._catalog
    written = without_creation_date(messages(read_po(po)))
    compiled = without_creation_date(compiled)

    differ = sorted(
        repr(key)
        for key in set(written) | set(compiled)
        if written.get(key) != compiled.get(key)
    )
    assert differ == [], (
        f"{mo.name} is not {relative(po)} compiled (run compilemessages); "
        f"entries that differ:\n" + "\n".join(differ[:30])
    )


# 3. The catalogues hold every string the code marks


def identity(entry):
    return (entry.msgctxt, entry.msgid, entry.msgid_plural)


def shown(identities):
    return "\n".join(
        f"  {Entry(msgid=msgid, msgctxt=context)}"
        + (f" / plural {plural!r}" if plural else "")
        for context, msgid, plural in sorted(identities, key=repr)
    )


@pytest.fixture(scope="module")
def made_messages(tmp_path_factory):
    """
    The .po files ``makemessages`` makes from the code as it is: run on a
    copy of the project with an empty locale folder, so the committed
    catalogues are left alone.
    """
    missing = [tool for tool in GETTEXT_TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"GNU gettext is not installed (no {', '.join(missing)})")
    copy = tmp_path_factory.mktemp("makemessages") / "project"
    shutil.copytree(
        BASE_DIR,
        copy,
        ignore=shutil.ignore_patterns(*IGNORED, ".*", "locale", "__pycache__"),
    )
    (copy / "locale").mkdir()
    with (
        contextlib.chdir(copy),
        override_settings(LOCALE_PATHS=[copy / "locale"]),
    ):
        for domain in ("django", "djangojs"):
            call_command(
                "makemessages",
                locale=["zh_Hans"],
                domain=domain,
                no_location=True,
                ignore_patterns=IGNORED,
                verbosity=0,
            )
    return copy / "locale" / "zh_Hans" / "LC_MESSAGES"


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_the_catalogues_hold_every_string_the_code_marks(made_messages, domain):
    """
    A string marked in a template, in Python or in a script but missing from
    the committed .po (makemessages not run, or a helper's catalogue lost in
    a merge) would show in English on a Chinese page. A msgid the code no
    longer marks is dead weight, and its translation lost work: both fail.
    """
    made = {identity(entry) for entry in read_po(made_messages / f"{domain}.po")}
    committed_po = LOCALE / "zh_Hans" / "LC_MESSAGES" / f"{domain}.po"
    committed = {
        identity(entry) for entry in read_po(committed_po) if not entry.obsolete
    }

    missing, stale = made - committed, committed - made
    assert not missing, (
        f"marked in the code but not in {relative(committed_po)} "
        f"(run makemessages, then translate):\n{shown(missing)}"
    )
    assert not stale, (
        f"in {relative(committed_po)} but no longer marked in the code:\n{shown(stale)}"
    )


def test_every_script_string_is_in_the_scripts():
    """
    Without GNU gettext too: each msgid of djangojs.po is written in a
    script under static/js, so the catalogue the scripts load translates
    what they ask for.
    """
    sources = "\n".join(
        path.read_text(encoding="utf-8")
        for folder in settings.STATICFILES_DIRS
        for path in Path(folder).rglob("*.js")
    )
    po = LOCALE / "zh_Hans" / "LC_MESSAGES" / "djangojs.po"
    strings = [
        text
        for entry in read_po(po)
        if entry.msgid and not entry.obsolete
        for text in (entry.msgid, entry.msgid_plural)
        if text is not None
    ]

    assert [text for text in strings if text not in sources] == []


# 4. No visible text is left unmarked: the pseudo-language

# A private-use language code (ISO 639-2 reserves qaa–qtz for local use):
# Django ships no catalogue for it, so every string it shows comes from the
# pseudo catalogue or is left in English, and nothing of a real language
# hides an unmarked string.
PSEUDO = "qps"
OPEN, CLOSE = "⟦", "⟧"
# A translation: innermost first, as a marked string may hold another.
MARKED = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")
# Only single letters between spaces and punctuation: a format of Django's
# date filter ("j F Y, H:i"), which must stay a format to be read as one.
DATE_FORMAT = re.compile(r"[^\W\d_](?:[^\w]+[^\W\d_])*[^\w]*", re.ASCII)
PLURAL_FORMS = "nplurals=2; plural=(n != 1);"


def wrapped(entry):
    """The pseudo translation of one entry."""
    if DATE_FORMAT.fullmatch(entry.msgid) and entry.msgid_plural is None:
        return entry.msgid
    if entry.msgid_plural is None:
        return OPEN + entry.msgid + CLOSE
    return [OPEN + entry.msgid + CLOSE, OPEN + entry.msgid_plural + CLOSE]


def source_catalogues():
    """
    The .po files of every string a page may show: Django's own (its forms'
    errors, month names…), each installed app's, and ours last, so ours win.
    An app's English catalogue if it has one, else any: only msgids are read.
    """
    folders = [Path(django.__file__).parent / "conf" / "locale"]
    folders += [Path(config.path) / "locale" for config in apps.get_app_configs()]
    found = []
    for folder in folders:
        english = folder / "en" / "LC_MESSAGES" / "django.po"
        others = sorted(folder.glob("*/LC_MESSAGES/django.po"))
        if english.exists() or others:
            found.append(english if english.exists() else others[0])
    return found + [LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"]


@pytest.fixture
def pseudo_language(tmp_path):
    """
    The pseudo-language, for the test: its catalogue written as a .mo in a
    locale folder of its own, which replaces LOCALE_PATHS (Django and the
    apps have no catalogue for it), and the language added to LANGUAGES, so
    that /qps/ addresses are its pages.
    """
    entries = {}
    for po in source_catalogues():
        for entry in read_po(po):
            if entry.msgid and not entry.obsolete:
                entry.msgstr = wrapped(entry)
                entries[entry.key] = entry
    header = Entry(
        msgstr=(
            f"Content-Type: text/plain; charset=UTF-8\nPlural-Forms: {PLURAL_FORMS}\n"
        )
    )
    folder = tmp_path / "locale" / PSEUDO / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "django.mo").write_bytes(mo_bytes([header, *entries.values()]))
    with override_settings(
        LOCALE_PATHS=[tmp_path / "locale"],
        LANGUAGES=[*settings.LANGUAGES, (PSEUDO, "Pseudo")],
    ):
        yield


def test_the_pseudo_language_is_a_language_django_serves(pseudo_language):
    """The code works where the test needs it: in LANGUAGES, in addresses."""
    assert translation.check_for_language(PSEUDO)
    assert translation.get_supported_language_variant(PSEUDO) == PSEUDO
    with translation.override(PSEUDO):
        assert translation.gettext("Language") == "⟦Language⟧"
        assert translation.gettext("This field is required.") == (
            "⟦This field is required.⟧"
        )
        assert translation.pgettext("date format (Django date filter)", "j M Y") == (
            "j M Y"
        )


SKIPPED = {"script", "style", "template"}
# Attributes a person reads or hears.
READ_ATTRIBUTES = {"alt", "title", "aria-label", "placeholder"}
BUTTON_INPUTS = {"submit", "button", "reset"}


class VisibleText(HTMLParser):
    """
    A page's text as read, then each attribute that is read. An element met
    inside a translation (``<span aria-label="to">`` in a translated
    sentence) is part of that translation: its attributes are not read apart.
    """

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks = []
        self.attributes = []
        self.skip = 0
        self.inside = 0  # translations open at this point of the text

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in SKIPPED:
            self.skip += 1
        self.chunks.append(" ")
        if self.inside > 0:
            return
        for name in sorted(READ_ATTRIBUTES & set(attrs)):
            self.attributes.append(attrs[name] or "")
        if tag == "input" and attrs.get("type") in BUTTON_INPUTS:
            self.attributes.append(attrs.get("value") or "")
        if tag == "meta" and attrs.get("name") == "description":
            self.attributes.append(attrs.get("content") or "")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in SKIPPED:
            self.skip -= 1

    def handle_endtag(self, tag):
        if tag in SKIPPED:
            self.skip -= 1
        self.chunks.append(" ")

    def handle_data(self, data):
        if not self.skip:
            self.chunks.append(data)
            self.inside += data.count(OPEN) - data.count(CLOSE)


def visible_texts(markup):
    parser = VisibleText()
    parser.feed(markup)
    parser.close()
    return ["".join(parser.chunks), *parser.attributes]


# What may be read outside a translation: words of no language.
BRAND = "BackCare"
# A web address in a mail, and an address's scheme written out.
ADDRESS = re.compile(r"https?://\S+")


def unmarked(text, data):
    """The words of ``text`` that are neither translated nor ``data``."""
    text = ADDRESS.sub(" ", text)
    for known in data:
        text = text.replace(known, " ")
    while True:
        text, removed = MARKED.subn(" ", text)
        if not removed:
            break
    text = text.replace(BRAND, " ")
    return [re.sub(r"\s+", " ", word) for word in re.findall(r"\S*[^\W\d_]\S*", text)]


def catalogue_texts():
    """What editors wrote, as pages show it: each text whole, and line by line."""
    texts = set()
    for model in (Contraindication, Exercise, Routine):
        translated = translator.get_options_for_model(model).get_field_names()
        names = [
            field.name
            for field in model._meta.get_fields()
            if isinstance(field, models.CharField | models.TextField)
            and field.name in translated
        ]
        for row in model.objects.values_list(*names):
            for value in row:
                texts.add(value.strip())
                texts.update(line.strip() for line in value.splitlines())
    texts.discard("")
    return texts


def data_shown(*people):
    """The data a page may show as it is: the catalogue's, people's, languages'."""
    data = catalogue_texts()
    data.update(name for _code, name in settings.LANGUAGES)
    for person in people:
        data.update([person.username, person.email])
        data.update(session.notes for session in person.completed_sessions.all())
    data.discard("")
    # Longest first, so a text is not cut by a shorter one inside it.
    return sorted(data, key=len, reverse=True)


class PseudoWalk(Walk):
    def guide(self, who, client, slug, prefix=""):
        """
        A guided session from the safety check to the finish page, following
        the guide's own redirects; in a routine of alternatives, the first.
        """
        first = Routine.objects.get(slug=slug).steps.order_by("order").first()
        start = f"{prefix}/routines/{slug}/guide/"
        begin = {"acknowledged": "on", "step": first.order}
        path = self.request(who, client, "post", start, begin, 302).url
        while not path.endswith("/finish/"):
            step = self.request(who, client, "get", path, status=200)
            if step.context["flagged"]:
                self.request(who, client, "post", path, {"action": "override"}, 302)
                self.request(who, client, "get", path, status=200)
            path = self.request(who, client, "post", path, {"action": "done"}, 302).url
        self.request(who, client, "get", path, status=200)


def answer_yes(walk, client):
    """The person says “yes” to every screening question."""
    data = {
        f"condition_{warning.pk}": "yes"
        for warning in Contraindication.objects.exclude(screening_question="")
    }
    walk.request("person", client, "post", "/qps/accounts/screening/", data, 302)


def pseudo_walk(walk, person):
    """
    Every page in the pseudo-language, as a person who answered “yes” to the
    screening (so the warnings and a doctor's clearance show) and as a
    visitor, with every form sent once invalid and once valid.
    """
    prefix = f"/{PSEUDO}"
    routines = list(Routine.objects.values_list("slug", flat=True))
    client = signed_in_client(person)
    answer_yes(walk, client)
    for slug in routines:
        start = f"{prefix}/routines/{slug}/guide/"
        walk.request("person", client, "get", start, status=200)
        walk.request("person", client, "post", start, status=400)
    for slug in routines:
        clearance = {"cleared": "on", "next": f"{prefix}/routines/{slug}/guide/"}
        walk.request(
            "person", client, "post", f"{prefix}/accounts/doctor-clearance/", clearance
        )
        walk.guide("person", client, slug, prefix=prefix)
    save = {"pain_before": "5", "pain_after": "3", "notes": "Fine."}
    walk.request(
        "person", client, "post", f"{prefix}/progress/save/{routines[0]}/", save, 302
    )
    session = person.completed_sessions.get()
    walk.request(
        "person",
        client,
        "post",
        f"{prefix}/progress/save/{routines[0]}/",
        {"pain_after": "99"},
        400,
    )
    walk.request("person", client, "post", f"{prefix}/accounts/screening/", status=400)
    walk.request("person", client, "post", f"{prefix}/progress/log/", status=400)
    walk.request("person", client, "post", f"{prefix}/accounts/password_change/")
    walk.every_url("person", client, session)

    visitor = Client()
    for slug in routines:
        walk.guide("visitor", visitor, slug, prefix=prefix)
    walk.every_url("visitor", visitor, session)
    walk.request("visitor", visitor, "post", f"{prefix}/accounts/signup/", status=400)
    walk.request("visitor", visitor, "post", f"{prefix}/accounts/login/", status=400)
    walk.request(
        "visitor", visitor, "post", f"{prefix}/accounts/password_reset/", {"email": "x"}
    )
    walk.request("visitor", visitor, "get", f"{prefix}/no-such-page/", status=404)
    # A visitor saves a session, then signs up: the messages of both.
    save = {"pain_before": "4", "pain_after": "2", "notes": ""}
    walk.request(
        "visitor", visitor, "post", f"{prefix}/progress/save/{routines[0]}/", save, 302
    )
    passphrase = "a long pass phrase 42"
    signup = {
        "username": "newbie",
        "password1": passphrase,
        "password2": passphrase,
        "health_data_consent": "on",
    }
    walk.request(
        "visitor",
        visitor,
        "post",
        f"{prefix}/accounts/signup/",
        signup,
        200,
        follow=True,
    )


@pytest.mark.django_db(transaction=False)
def test_no_visible_text_is_left_unmarked(catalogue, pseudo_language):
    """
    Every page, form with its errors, error page and e-mail, rendered in the
    pseudo-language, shows nothing in English outside a translation: a
    string a template or the code forgot to mark fails here, named with the
    page it is on.
    """
    person = UserFactory(username="alex", email="alex@example.com")
    User.objects.filter(pk=person.pk).update(language=PSEUDO)
    walk = PseudoWalk()
    with translation.override(PSEUDO):
        pseudo_walk(walk, person)
        rendered = [
            (f"error page {name}", loader.render_to_string(name))
            for name in ("404.html", "500.html", "503.html")
        ]
        # django-axes' lock-out, and the site's own for one address.
        rendered += [
            (
                f"locked out (address_wide={wide})",
                loader.render_to_string(
                    "registration/locked_out.html", {"address_wide": wide}
                ),
            )
            for wide in (False, True)
        ]
    mail.outbox.clear()
    Client().post(f"/{PSEUDO}/accounts/password_reset/", {"email": person.email})
    wait_for_mail()
    assert len(mail.outbox) == 1

    data = data_shown(person, User.objects.get(username="newbie"))
    found = []
    for page in walk.pages:
        for text in visible_texts(page.body):
            words = unmarked(text, data)
            if words:
                where = f"{page.who} {page.method} {page.path} ({page.status})"
                found.append(f"{where}: {' '.join(words)}")
    for where, markup in rendered:
        for text in visible_texts(markup):
            if words := unmarked(text, data):
                found.append(f"{where}: {' '.join(words)}")
    for message in mail.outbox:
        for part, text in (("subject", message.subject), ("body", message.body)):
            if words := unmarked(text, data):
                found.append(f"password reset mail, {part}: {' '.join(words)}")

    assert len(walk.pages) > 50
    assert found == [], "unmarked text:\n" + "\n".join(dict.fromkeys(found))
