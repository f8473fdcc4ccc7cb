"""Reading what the test client got back: one definition of each helper."""

import io
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from unittest import mock

from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLResolver, get_resolver
from modeltranslation.translator import translator
from modeltranslation.utils import build_localized_fieldname
from PIL import Image

BLOCK_TAGS = {
    *("article", "br", "div", "footer", "header", "li", "main", "nav"),
    *("h1", "h2", "h3", "h4", "h5", "h6", "ol", "p", "section", "ul"),
    *("td", "th", "tr", "label", "option", "button", "dt", "dd", "legend"),
}
SKIPPED_TAGS = {"head", "script", "style", "template"}


class TextParser(HTMLParser):
    """The text a person reads, and the text of each `<article>` by its id."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks = []
        self.articles = {}
        self.open_articles = []
        self.images = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED_TAGS:
            self.skip += 1
        if tag in BLOCK_TAGS:
            self.chunks.append(" ")
        if tag == "article":
            self.open_articles.append((dict(attrs).get("id"), len(self.chunks)))
        if tag == "img":
            article = self.open_articles[-1][0] if self.open_articles else None
            self.images.append({**dict(attrs), "article": article})

    def handle_endtag(self, tag):
        if tag in SKIPPED_TAGS:
            self.skip -= 1
        if tag in BLOCK_TAGS:
            self.chunks.append(" ")
        if tag == "article" and self.open_articles:
            article_id, start = self.open_articles.pop()
            self.articles[article_id] = collapse("".join(self.chunks[start:]))

    def handle_data(self, data):
        if not self.skip:
            self.chunks.append(data)


def collapse(text):
    return re.sub(r"\s+", " ", text).strip()


def parse(markup):
    parser = TextParser()
    parser.feed(markup)
    parser.close()
    return parser


def html(response):
    """The body of a response, streamed or not, as text."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def text(markup):
    """Markup as a person reads it: no tags or scripts, entities decoded, spaces folded."""
    return collapse("".join(parse(markup).chunks))


def text_of(response):
    return text(html(response))


def articles_of(response):
    """The text of each `<article id=…>` of a page, by its id."""
    return parse(html(response)).articles


def images_of(response):
    """Each `<img>` of a page: its attributes, and the id of its `<article>`."""
    return parse(html(response)).images


def page_showing(response, phrases):
    """The markup of a 200 page that holds every one of ``phrases``."""
    page = html(response)
    assert response.status_code == 200
    for phrase in phrases:
        assert phrase in page, phrase
    return page


def assert_in_order(text, phrases):
    positions = [text.index(phrase) for phrase in phrases]
    assert positions == sorted(positions), phrases


@dataclass
class Counted:
    response: object
    body: str
    queries: list

    def __len__(self):
        return len(self.queries)


def count_queries(client, url, *, status=200):
    """GET `url` and capture every query it made, the streamed body included."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        body = html(response)
    assert response.status_code == status, (url, response.status_code)
    return Counted(response, body, captured.captured_queries)


def csrf_token(page):
    """The CSRF token of the first form in a page (markup or a response)."""
    markup = page if isinstance(page, str) else html(page)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', markup)
    assert match, "no CSRF token in the page"
    return match.group(1)


@contextmanager
def clock_at(moment):
    """The time every `timezone.now()` reads, a guided run's included."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


# Error summaries: a refused form answers 400 with a summary atop its section.
SUMMARY = re.compile(r"<div [^>]*data-error-summary[^>]*>.*?</div>", re.S)


def summaries(page):
    return SUMMARY.findall(page)


def control(page, id_):
    """The input, select or textarea with this id, which a link must reach."""
    found = re.findall(rf'<(?:input|select|textarea)\b[^>]*\bid="{id_}"[^>]*>', page)
    assert len(found) == 1, f"#{id_}: {len(found)} form controls"
    return found[0]


def assert_summary(response, targets, *, after=None, messages=(), described=()):
    """The summary names each error, links each to its field, and comes first;
    each field named in ``described`` is tied to its message for screen readers."""
    page = html(response)
    found = summaries(page)
    assert len(found) == 1, f"{len(found)} error summaries"
    summary = found[0]
    opening = summary[: summary.index(">") + 1]

    assert response.status_code == 400
    assert 'role="alert"' in opening
    assert 'tabindex="-1"' in opening
    assert "There is a problem" in summary
    assert re.findall(r'<a [^>]*href="#([^"]+)"', summary) == targets
    for target in targets:
        field = control(page, target)
        assert 'aria-invalid="true"' in field
        # The summary sits above the fields it names, and below the heading
        # of the form's section.
        assert page.index(summary) < page.index(field)
    if after:
        assert page.index(after) < page.index(summary)
    for message in messages:
        assert message in text(summary)
    assert '<script type="module" src="/static/js/error-summary.js">' in page
    for name in described:
        assert_described(response, name)
    return summary


def assert_described(response, name):
    """Crispy ties a field to its error message for screen readers."""
    page = html(response)
    assert f'id="id_{name}_error"' in page
    assert re.search(rf'aria-describedby="[^"]*\bid_{name}_error\b', page)


def admin_fields(model, data):
    """``data`` named as the admin's form names it: a text by its English column."""
    translated = translator.get_options_for_model(model).get_field_names()
    return {
        build_localized_fieldname(name, settings.LANGUAGE_CODE)
        if name in translated
        else name: value
        for name, value in data.items()
    }


def edit_warning(client, warning, **changes):
    """Post the warning's admin change form with ``changes``, as an editor would."""
    fields = ["slug", "title", "description", "severity", "screening_question"]
    data = {name: getattr(warning, name) for name in fields}
    return client.post(
        f"/admin/exercises/contraindication/{warning.pk}/change/",
        admin_fields(type(warning), {**data, **changes, "_save": "Save"}),
    )


def url_patterns(patterns=None, prefix="", namespace=""):
    """(route, name, kwargs) of every URL pattern outside the admin."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if str(pattern.pattern).startswith("admin/"):  # the admin's, "View on site"
            continue
        if isinstance(pattern, URLResolver):
            inner = (
                f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            )
            yield from url_patterns(pattern.url_patterns, route, inner)
        else:
            kwargs = re.findall(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>", route)
            names = tuple(a or b for a, b in kwargs)
            yield route, f"{namespace}{pattern.name}", names


def signed_in_client(user, **kwargs):
    client = Client(**kwargs)
    client.force_login(user)
    return client


def is_signed_in(client):
    return "_auth_user_id" in client.session


def picture_bytes(width, height, kind="PNG", *, noise=False):
    """A picture made in memory: smooth shades, or noise that compresses badly."""
    if noise:
        image = Image.effect_noise((width, height), 80).convert("RGB")
    else:
        image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    out = io.BytesIO()
    image.save(out, kind)
    return out.getvalue()


def wait_for_mail(timeout=10):
    """Wait until every mail handed to ``accounts.mail.send_later`` has gone."""
    for thread in threading.enumerate():
        if thread.name == "send-mail":
            thread.join(timeout)
