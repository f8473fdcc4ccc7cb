"""
The language switch: Django's own ``set_language`` (a POST from the header's
menu, working without JavaScript), which sets the language cookie and sends
the browser back to the same page in the chosen language. A signed-in
person's choice is also kept on their profile, so their other devices and
their e-mails follow it (see ``LoginView`` and ``PasswordResetForm``).

A visitor's switch carries no CSRF token: the header is on every catalogue
page, and a token would set a cookie on each and keep none of them for
visitors (exercises/cache.py). A forged switch changes only that browser's
language cookie, which the page's own switch changes back. A signed-in
person's switch also writes their profile, so it is checked as every form is.
"""

from django.conf import settings
from django.urls import translate_url
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language

from ..models import User


@csrf_protect
def remember_language(request):
    response = django_set_language(request)
    chosen = response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen is not None:
        # One column, so no other of the person's fields is written back.
        User.objects.filter(pk=request.user.pk).update(language=chosen.value)
    return response


@csrf_exempt
@require_POST
def set_language(request):
    if request.user.is_authenticated:
        return remember_language(request)
    return django_set_language(request)


def signed_in(request, response):
    """
    A log-in's redirect, in the person's language. A language chosen on this
    browser (its cookie) is their latest choice and goes to their profile;
    without one, the browser takes the profile's, cookie and address.
    """
    person = request.user
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen in dict(settings.LANGUAGES):
        if chosen != person.language:
            User.objects.filter(pk=person.pk).update(language=chosen)
        return response
    response["Location"] = translate_url(response["Location"], person.language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        person.language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response
