"""
gunicorn's configuration for BackCare in production.

gunicorn reads ./gunicorn.conf.py from its working directory; the README's
serve command names it (``-c gunicorn.conf.py``). A flag on the command line
overrides a value here (the tests and ``make bench`` set their own bind and
log files this way). It is meant to run behind a buffering reverse proxy
(nginx, see the README): the proxy absorbs slow clients, gunicorn's limits
below are the second line.
"""

import os

# 127.0.0.1 only: the reverse proxy on the same host is the one client.
# "unix:/run/backcare/gunicorn.sock" or "0.0.0.0:8000" when the proxy is
# elsewhere.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Processes give parallelism (the GIL lets one thread of a process run Python
# at a time): gunicorn's rule of thumb, 2 per core + 1, unless the host says
# otherwise (WEB_CONCURRENCY, as platforms that size processes set it). Cores
# are the ones this process may run on, not the host's (containers).
try:
    _cores = len(os.sched_getaffinity(0))
except AttributeError:  # not Linux
    _cores = os.cpu_count() or 1
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * _cores + 1)

# Threads give concurrency. gunicorn's sync worker serves one connection per
# process from its first byte to its last, so two clients sending their
# headers slowly held both processes of a 2-worker server, and even /livez
# went unanswered until the arbiter killed them 30 s later. A gthread worker
# serves each connection on one of its threads while its event loop goes on
# accepting: a slow client holds one thread, and the other threads keep
# serving (tests/test_hangs.py). Each thread keeps its own database
# connection: PostgreSQL's max_connections must cover hosts x workers x
# threads, plus one /healthz check per worker.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# With gthread the timeout is the heartbeat of each worker's event loop, not a
# limit on a request: a process whose loop stops (a deadlock, a C extension
# holding the GIL) is killed and replaced after this long. Requests are bounded
# where they wait: the database has a connect timeout, a statement timeout and
# a deadline per round trip (backcare_site/db.py), the cache a socket timeout.
timeout = 30
# On SIGTERM or a reload, requests in flight get this long to finish: longer
# than the slowest request the timeouts above allow (about 11 s), shorter than
# systemd's 90 s before it kills the service.
graceful_timeout = 20
# No keep-alive: each connection closes after its response. nginx opens one
# connection per request anyway (the README's server block), and a new
# connection goes to whichever worker accepts it first, the least busy one. A
# kept-alive connection stays with the worker that accepted it however busy
# that worker gets: in one `make bench` run all 16 of wrk's connections landed
# on one of the two workers, and the page measured a third of its rate.
keepalive = 0

# Requests larger than the site ever receives are refused (400/431) before
# Django sees them. The longest URL is a few hundred bytes; a browser sends
# about 15 headers and nginx adds 3; the largest header is the Cookie
# (session, CSRF and messages cookies, a few KB at most).
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190

# A worker is replaced after this many requests, give or take the jitter (so
# workers do not restart together): memory a library leaks is given back.
# Hours or days of a real site's traffic per worker, seconds of a benchmark's
# (`make bench` turns it off to measure pages, not restarts).
max_requests = 10000
max_requests_jitter = 1000

# Logs to stdout and stderr, for the service manager (journald, docker) to keep.
# Behind the proxy the peer address is always the proxy's, so the client's
# address comes from X-Forwarded-For; %(M)s is the time taken in milliseconds.
accesslog = "-"
access_log_format = (
    '%({x-forwarded-for}i)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s '
    '"%(f)s" "%(a)s" %(M)sms'
)
errorlog = "-"

# The control socket gunicorn 25+ opens by default lives at one path per user
# ($HOME/.gunicorn/gunicorn.ctl): a second gunicorn on the host (a deploy, a
# test, `make bench`) takes it over and removes it when it stops. Unused here.
control_socket_disable = True

# The heartbeat file of every worker is touched on each loop: on tmpfs, a busy
# or slow disk cannot stall the workers into the timeout above.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

proc_name = "backcare"
