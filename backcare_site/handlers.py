"""
The WSGI handler gunicorn serves (backcare_site/wsgi.py): Django's, with a
request that lets go of what the middleware hung on it once it is done.
"""

from django.core.handlers.wsgi import WSGIHandler, WSGIRequest


class Request(WSGIRequest):
    """
    A request that is freed the moment its response is sent.

    The middleware hangs lazy values on each request that are made by
    closures holding the request itself (Django's ``request.user`` and
    ``request.auser``, the screening, the messages): cycles, which reference
    counting cannot free. Each request was left to Python's cycle collector,
    which ran every few dozen requests and cost a worker about 40 µs a request.
    """

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
