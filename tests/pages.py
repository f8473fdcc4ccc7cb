"""Reading what the test client got back."""

import re
from html import unescape


def html(response):
    return response.content.decode()


def text(markup):
    """Markup as a person reads it: tags gone, entities decoded, spaces folded."""
    without_tags = re.sub(r"<[^>]*>", " ", markup)
    return re.sub(r"\s+", " ", unescape(without_tags)).strip()


def text_of(response):
    return text(html(response))
