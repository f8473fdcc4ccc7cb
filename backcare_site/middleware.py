from csp.constants import HEADER
from csp.middleware import CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.contrib.messages import middleware as messages_middleware
from django.contrib.messages.storage import default_storage
from django.contrib.sessions import middleware as sessions_middleware
from django.utils.functional import SimpleLazyObject, empty

# What django-csp's decorators leave on a response that has a policy of its own.
PER_RESPONSE = frozenset(
    (
        "_csp_config",
        "_csp_update",
        "_csp_replace",
        "_csp_exempt",
        "_csp_config_ro",
        "_csp_update_ro",
        "_csp_replace_ro",
        "_csp_exempt_ro",
    )
)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """
    django-csp's middleware with the site's policy built once.

    django-csp builds the header afresh for every response: 37 µs of the
    167 µs `/livez` cost in `make bench --middleware`. BackCare's pages use
    no nonce and no report-only policy, so every response gets the same
    header; one with a policy of its own (django-csp's decorators) still
    goes django-csp's way.
    """

    def __init__(self, get_response):
        super().__init__(get_response)
        self.policy = build_policy()
        self.report_only = bool(
            getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        )

    async_capable = False  # the site is served over WSGI

    def __call__(self, request):
        # No nonce to offer (the templates use none), so nothing to do on the
        # way in, and no round of the mixin's hasattr checks either.
        return self.process_response(request, self.get_response(request))

    def process_response(self, request, response):
        # The decorators set these on the response itself (a look in its
        # __dict__; eight failed hasattr calls cost 20,000 instructions).
        if self.report_only or not PER_RESPONSE.isdisjoint(vars(response)):
            return super().process_response(request, response)
        if settings.DEBUG and response.status_code in (404, 500):
            return response  # Django's debug pages, as django-csp leaves them
        if HEADER not in response:
            response[HEADER] = self.policy
        return response


class MessageMiddleware(messages_middleware.MessageMiddleware):
    """
    Django's, with the message storage made when a page first uses it.

    Most requests never read or add a message, yet Django's middleware makes
    the storage (a cookie and a session store) for each: 14 µs of `/livez`.
    Storage never made has nothing to write back: messages not read stay in
    their cookie or session, as Django's would leave them.
    """

    async_capable = False  # the site is served over WSGI

    def __call__(self, request):
        # Django's process_request and process_response, without the mixin's
        # round of hasattr checks on every request.
        request._messages = SimpleLazyObject(lambda: default_storage(request))
        response = self.get_response(request)
        if request._messages._wrapped is empty:
            return response
        return self.process_response(request, response)


class SessionMiddleware(sessions_middleware.SessionMiddleware):
    """
    Django's, with nothing to do on the way out for a request that came
    without a session cookie and never used the session: a visitor's page,
    a probe. Django's ``process_response`` would find nothing to save, no
    cookie to delete and no reason to vary on cookies.
    """

    async_capable = False  # the site is served over WSGI

    def __call__(self, request):
        session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        request.session = session = self.SessionStore(session_key)
        response = self.get_response(request)
        if (
            session_key is None
            and getattr(request, "session", None) is session
            and not (session.accessed or session.modified)
        ):
            return response
        return self.process_response(request, response)
