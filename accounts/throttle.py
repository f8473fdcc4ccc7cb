"""
Limits on what one client may try, counted in the shared cache.

django-axes locks a username tried from one address; these limits add what
it cannot count: failed log-ins from one address across every username, and
password-reset mails per address and per email address. With the cache down
they count nothing (the site keeps serving); axes' own records still hold.
"""

import hashlib

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.cache import cache


def client_address(request):
    """The client's address, as django-axes reads it (see DJANGO_PROXY_COUNT)."""
    return get_client_ip_address(request) or ""


class Limit:
    def __init__(self, name, setting, seconds):
        self.name = name
        self.setting = setting
        self.seconds = seconds

    @property
    def count(self):
        return getattr(settings, self.setting)

    def key(self, value):
        digest = hashlib.blake2b(value.encode(), digest_size=16).hexdigest()
        return f"limit:{self.name}:{digest}"

    def reached(self, value):
        return (cache.get(self.key(value)) or 0) >= self.count

    def spend(self, value):
        """Count one more try; True while still within the limit."""
        key = self.key(value)
        if cache.add(key, 1, self.seconds):
            return self.count >= 1
        try:
            return cache.incr(key) <= self.count
        except ValueError:  # expired meanwhile, or the cache is down
            cache.set(key, 1, self.seconds)
            return True


HOUR = 60 * 60
LOGIN_FAILURES_PER_ADDRESS = Limit("login-address", "LOGIN_FAILURES_PER_ADDRESS", HOUR)
RESET_MAILS_PER_ADDRESS = Limit("reset-address", "RESET_MAILS_PER_ADDRESS", HOUR)
RESET_MAILS_PER_EMAIL = Limit("reset-email", "RESET_MAILS_PER_EMAIL", HOUR)
