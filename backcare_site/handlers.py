"""
The WSGI handler gunicorn serves (backcare_site/wsgi.py): Django's, with a
request that lets go of what the middleware hung on it once it is done.
"""

from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
from django.core.signals import setting_changed
from django.dispatch import receiver

# Hosts that passed ALLOWED_HOSTS, as the request named them. A handful in
# practice (the site's name, perhaps its address); bounded all the same, for
# a wildcard in ALLOWED_HOSTS would pass whatever a client sends.
ALLOWED_HOSTS_SEEN = set()
ALLOWED_HOSTS_SEEN_AT_MOST = 16


@receiver(setting_changed)
def forget_the_allowed_hosts(*, setting, **kwargs):
    if setting in {"ALLOWED_HOSTS", "DEBUG", "USE_X_FORWARDED_HOST"}:
        ALLOWED_HOSTS_SEEN.clear()


class Request(WSGIRequest):
    """
    A request that is freed the moment its response is sent.

    The middleware hangs lazy values on each request that are made by
    closures holding the request itself (Django's ``request.user`` and
    ``request.auser``, the screening, the messages): cycles, which reference
    counting cannot free. Each request was left to Python's cycle collector,
    which ran every few dozen requests and cost a worker about 40 µs a request.
    """

    def get_host(self):
        """
        Django's, with each host that passed ALLOWED_HOSTS remembered: the
        common middleware asks on every request, and Django's check (the host
        parsed, then matched against each pattern) was two-thirds of that
        middleware's cost. A host not allowed still raises DisallowedHost
        every time.
        """
        host = self._get_raw_host()
        if host in ALLOWED_HOSTS_SEEN:
            return host
        host = super().get_host()
        if len(ALLOWED_HOSTS_SEEN) < ALLOWED_HOSTS_SEEN_AT_MOST:
            ALLOWED_HOSTS_SEEN.add(host)
        return host

    def close(self):
        # Django's handler has the response call this after the last byte is
        # sent (and before request_finished): nothing reads the request after.
        super().close()
        self.__dict__.clear()


class Handler(WSGIHandler):
    request_class = Request


class HeadAsGetMixin:
    """
    HEAD answered as GET, as Django's ``View.setup`` arranges, but as a
    method: ``setup`` sets ``self.head = self.get`` on each view made, a
    bound method of the view held by the view itself. That cycle kept each
    request's view, and everything its page read, for the cycle collector.
    """

    def head(self, request, *args, **kwargs):
        return self.get(request, *args, **kwargs)
