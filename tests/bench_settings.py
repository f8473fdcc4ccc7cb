"""
Production's settings with only the first BENCH_MIDDLEWARE_COUNT entries of
MIDDLEWARE (all of them when unset): `make bench`'s ``--middleware`` serves
/livez with the stack built up one middleware at a time, to show what each
costs. Only a prefix: a middleware may need those before it (the session
before authentication, authentication before the time zone).
"""

import os

from backcare_site.settings import *  # noqa: F403
from backcare_site.settings import MIDDLEWARE as FULL_MIDDLEWARE

MIDDLEWARE = FULL_MIDDLEWARE[
    : int(os.environ.get("BENCH_MIDDLEWARE_COUNT", len(FULL_MIDDLEWARE)))
]
