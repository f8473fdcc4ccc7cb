from django import template
from django.conf import settings
from django.urls import translate_url

register = template.Library()


@register.simple_tag(takes_context=True)
def page_in_languages(context):
    """
    The page being shown, in each of settings.LANGUAGES: its language code,
    the language's name in itself and the page's absolute address in it
    (without the query string: a kept page is the same for every query it
    does not read). None on a page no address names (a 404) or rendered
    without a request.
    """
    request = context.get("request")
    if request is None or request.resolver_match is None:
        return None
    here = request.path
    return [
        {
            "code": code,
            "name": name,
            "url": request.build_absolute_uri(translate_url(here, code)),
        }
        for code, name in settings.LANGUAGES
    ]
