"""
The CSRF token a kept page is filled in with: Django's, masked in one draw.
"""

import secrets

from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH, get_token

_BASE = len(CSRF_ALLOWED_CHARS)
_MASKS = _BASE**CSRF_SECRET_LENGTH
_INDEX = {char: index for index, char in enumerate(CSRF_ALLOWED_CHARS)}


def csrf_token(request):
    """
    ``django.middleware.csrf.get_token(request)``, drawn faster.

    Django masks the browser's secret afresh for each response, so that a
    compressed page gives nothing of it away (BREACH): 32 letters and digits,
    each drawn with its own call to the system's random source, then added
    to the secret's one by one. Every kept page puts a token into each
    response, and that was a tenth of a signed-in page's time (cProfile).
    Here the mask is one draw, as uniform (a number below 62**32 in base 62);
    the token is Django's own form, which CsrfViewMiddleware unmasks.
    """
    secret = request.META.get("CSRF_COOKIE")
    if secret is None:
        return get_token(request)  # Django's: a new secret, sent as its cookie
    # As get_token: the cookie is sent again, which renews its expiry.
    request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    number = secrets.randbelow(_MASKS)
    mask = []
    for _ in range(CSRF_SECRET_LENGTH):
        number, digit = divmod(number, _BASE)
        mask.append(digit)
    cipher = (
        CSRF_ALLOWED_CHARS[(_INDEX[char] + offset) % _BASE]
        for char, offset in zip(secret, mask, strict=True)
    )
    return "".join(CSRF_ALLOWED_CHARS[offset] for offset in mask) + "".join(cipher)
