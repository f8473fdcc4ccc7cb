"""
English pages have no language prefix, so Django's LocaleMiddleware serves an
unprefixed address in English whatever the browser asks. This sends a browser
that asks for another of settings.LANGUAGES (by the language cookie that
Django's ``set_language`` sets or, on a first visit, by its Accept-Language)
to the same page in that language: a Chinese browser's first visit to
/routines/beginner/ lands on /zh-hans/routines/beginner/.

It runs before ``exercises.cache.KeptPageMiddleware``, which serves an
unprefixed address in English only.
"""

from django.conf import settings
from django.http import HttpResponseRedirect
from django.urls import translate_url
from django.utils import translation
from django.utils.cache import patch_vary_headers


class PreferredLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in ("GET", "HEAD") and not translation.get_language_from_path(
            request.path_info
        ):
            wanted = translation.get_language_from_request(request)
            if wanted != settings.LANGUAGE_CODE:
                here = request.get_full_path()
                with translation.override(settings.LANGUAGE_CODE):
                    there = translate_url(here, wanted)
                if there != here:
                    response = HttpResponseRedirect(there)
                    patch_vary_headers(response, ("Accept-Language", "Cookie"))
                    return response
        return self.get_response(request)
