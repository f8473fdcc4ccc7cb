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
