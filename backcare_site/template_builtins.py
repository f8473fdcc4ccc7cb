"""
Template tags every template has without ``{% load %}`` (TEMPLATES' builtins).

``{% url %}`` is Django's own, answered from memory: Django's ``reverse``
walks the URL patterns and quotes the result on every call (about 20 µs;
the page frame alone has nine), and the answer for the same name and
arguments never changes while the process runs. The memory is keyed by
everything ``reverse`` reads besides (the URLconf, the script prefix, the
current namespace), and only strings and numbers are remembered as
arguments: anything else is reversed as Django would.
"""

from functools import lru_cache

from django.template import Library, defaulttags
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = Library()


def remembered(value):
    """Whether ``value`` keys the memory as reverse reads it: strings (marked
    safe or not) and integers, not True (which equals 1, but reverses as
    "True")."""
    return isinstance(value, str) or type(value) is int


@lru_cache(maxsize=2048)
def remembered_reverse(view_name, args, kwargs, current_app, urlconf, prefix):
    return reverse(
        view_name,
        urlconf=urlconf,
        args=args,
        kwargs=dict(kwargs),
        current_app=current_app,
    )


class RememberedURLNode(defaulttags.URLNode):
    def render(self, context):
        args = tuple(arg.resolve(context) for arg in self.args)
        kwargs = tuple((k, v.resolve(context)) for k, v in self.kwargs.items())
        values = args + tuple(value for _, value in kwargs)
        if not all(remembered(value) for value in values):
            return super().render(context)
        view_name = self.view_name.resolve(context)
        request = getattr(context, "request", None)
        current_app = getattr(request, "current_app", None)
        if current_app is None:
            current_app = getattr(
                getattr(request, "resolver_match", None), "namespace", None
            )
        try:
            url = remembered_reverse(
                view_name, args, kwargs, current_app, get_urlconf(), get_script_prefix()
            )
        except NoReverseMatch:
            if self.asvar is None:
                raise
            url = ""
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    node = defaulttags.url(parser, token)
    node.__class__ = RememberedURLNode
    return node
