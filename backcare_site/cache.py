"""
Django's RedisCache, made to share one client per connection pool and to keep
the site serving when Redis cannot be reached.

Sharing: Django's client builds a new ``redis.Redis`` for every cache call,
and each one sets up its table of some 170 response callbacks: about a
quarter of a millisecond, more than the round trip to Redis itself, on every
cached page. A ``redis.Redis`` is safe to share between threads, so one per
pool is kept.

Outages: the cache only ever makes the site faster, so an unreachable Redis
must make it slower, never broken. Every call that fails to reach Redis
answers as a cache miss would (``get`` the default, ``add`` False, ...) and
marks the cache down for this process; for ``retry_seconds`` after that,
calls answer at once without trying, so no request waits on a dead server.
The process logs once when the cache goes down and once when it is back.
When it is back, the process that saw it down empties it before reading
anything: a page kept from before the outage may be older than an editor's
change made during it, and sessions (``cached_db``) live in the database, so
nothing is lost.

Word of changes: ``announce`` publishes on a channel of the cache's own, and
``changes`` is this process's subscription to it (``backcare_site.changes``),
one per process, shared by its threads. Emptying the cache is word of a
change to everything.
"""

import logging
import socket
import threading
import time
from functools import cached_property, wraps

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.backoff import NoBackoff
from redis.connection import Connection, parse_url
from redis.maint_notifications import MaintNotificationsConfig
from redis.retry import Retry

from .changes import EVERYTHING, ChangeFeed

logger = logging.getLogger("backcare.cache")


class Health:
    """Whether this process can reach one Redis server; shared by its threads."""

    def __init__(self, location, retry_seconds):
        self.location = location
        self.retry_seconds = retry_seconds
        self.down_since = None
        self.next_try = 0.0
        self.lock = threading.Lock()

    @property
    def is_down(self):
        return self.down_since is not None

    def should_skip(self):
        return self.is_down and time.monotonic() < self.next_try

    def failed(self, error):
        with self.lock:
            self.next_try = time.monotonic() + self.retry_seconds
            if self.is_down:
                return
            self.down_since = time.monotonic()
        logger.warning(
            "Cache %s unreachable (%s): serving without it until it is back.",
            self.location,
            error,
        )

    def back(self):
        with self.lock:
            if not self.is_down:
                return
            self.down_since = None
        logger.warning("Cache %s reachable again; emptied it.", self.location)


_health = {}
_health_lock = threading.Lock()


def health_of(location, retry_seconds):
    with _health_lock:
        return _health.setdefault(location, Health(location, retry_seconds))


def reachable(client):
    """
    Whether to call Redis now. After an outage, the first call empties the
    cache before anything is read from it: a page kept from before may be
    older than an editor's change made while the cache was down.
    """
    health = client.health
    if not health.is_down:
        return True
    if health.should_skip():
        return False
    try:
        RedisCacheClient.clear(client)
    except client.errors as error:
        health.failed(error)
        return False
    health.back()
    # Other processes may have kept what changed meanwhile (a change made
    # here while this process could not announce it): word of everything.
    if client.emptied is not None:
        client.emptied()
    return True


def answers_as_a_miss(miss):
    """Turn an unreachable Redis into the answer a cache miss gives."""

    def decorate(method):
        @wraps(method)
        def call(self, *args, **kwargs):
            if not reachable(self):
                return miss(*args, **kwargs)
            try:
                return method(self, *args, **kwargs)
            except self.errors as error:
                self.health.failed(error)
                return miss(*args, **kwargs)

        return call

    return decorate


def nothing(*args, **kwargs):
    return None


def false(*args, **kwargs):
    return False


class SharedClientRedisCacheClient(RedisCacheClient):
    # Called after the cache was emptied on its return from an outage.
    emptied = None

    def __init__(self, servers, *, retry_seconds=5, **options):
        super().__init__(servers, **options)
        self._clients = {}
        self.errors = (self._lib.ConnectionError, self._lib.TimeoutError)
        self.health = health_of(tuple(servers), retry_seconds)

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    add = answers_as_a_miss(false)(RedisCacheClient.add)
    get = answers_as_a_miss(lambda key, default: default)(RedisCacheClient.get)
    set = answers_as_a_miss(nothing)(RedisCacheClient.set)
    touch = answers_as_a_miss(false)(RedisCacheClient.touch)
    delete = answers_as_a_miss(false)(RedisCacheClient.delete)
    get_many = answers_as_a_miss(lambda keys: {})(RedisCacheClient.get_many)
    has_key = answers_as_a_miss(false)(RedisCacheClient.has_key)
    set_many = answers_as_a_miss(lambda data, timeout: list(data))(
        RedisCacheClient.set_many
    )
    delete_many = answers_as_a_miss(nothing)(RedisCacheClient.delete_many)

    clear = answers_as_a_miss(nothing)(RedisCacheClient.clear)

    def incr(self, key, delta):
        # As for a missing key: the caller counts from scratch.
        if not reachable(self):
            raise ValueError("The cache is unreachable.")
        try:
            return super().incr(key, delta)
        except self.errors as error:
            self.health.failed(error)
            raise ValueError("The cache is unreachable.") from error


_feeds = {}
KEEPALIVE = {
    socket.TCP_KEEPIDLE: 10,
    socket.TCP_KEEPINTVL: 5,
    socket.TCP_KEEPCNT: 3,
}


def subscriber(location, channel, timeout):
    """A function that connects to Redis and subscribes to ``channel``."""

    def subscribe():
        connection = Connection(
            **parse_url(location),
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            # Nothing is ever sent on a subscription: without keepalive, a
            # peer gone without a word (a host crashed, a flow dropped) would
            # never be noticed. With it, within about 25 s.
            socket_keepalive=True,
            socket_keepalive_options=KEEPALIVE,
            protocol=2,
            retry=Retry(NoBackoff(), 0),
            maint_notifications_config=MaintNotificationsConfig(enabled=False),
        )
        connection.connect()
        connection.send_command("SUBSCRIBE", channel)
        reply = connection.read_response()
        if reply[0] != b"subscribe":
            connection.disconnect()
            raise ConnectionError(f"SUBSCRIBE answered {reply!r}")
        return connection

    return subscribe


def feed_of(location, channel, retry_seconds, timeout):
    """The process's ChangeFeed on ``channel``; shared by its threads."""
    with _health_lock:
        key = (location, channel)
        if key not in _feeds:
            _feeds[key] = ChangeFeed(
                subscriber(location, channel, timeout), retry_seconds=retry_seconds
            )
        return _feeds[key]


class SharedClientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient

    @cached_property
    def _cache(self):
        client = self._class(self._servers, **self._options)
        client.emptied = self._forget_everything
        return client

    def _forget_everything(self):
        self.changes.forget(EVERYTHING)
        self.announce(EVERYTHING)

    @cached_property
    def changes(self):
        """The word of changes between processes (``backcare_site.changes``)."""
        options = self._options
        return feed_of(
            self._servers[0],
            self.changes_channel,
            options.get("retry_seconds", 5),
            options.get("socket_timeout"),
        )

    def announce(self, *topics):
        """
        Publish ``topics`` to every process's ChangeFeed, and return once
        Redis has written the word to every subscriber; never raises.

        Redis answers a PUBLISH before it writes the message to the
        subscribers (in the same turn of its loop, the publisher first), so
        a reader polled right after that answer could miss it. A PING sent
        after the answer is read in a later turn of the loop: its answer
        comes after every write of the PUBLISH's turn.
        """
        client = self._cache
        if not reachable(client):
            return
        try:
            redis = client.get_client(write=True)
            with redis.pipeline(transaction=False) as pipe:
                for topic in topics:
                    pipe.publish(self.changes_channel, topic)
                pipe.execute()
            redis.ping()
        except client.errors as error:
            client.health.failed(error)
        except client._lib.RedisError as error:  # refused: an ACL, a replica
            logger.warning("Could not announce %s (%s).", ", ".join(topics), error)

    @property
    def changes_channel(self):
        return self.make_key("changes")

    def clear(self):
        """Empty the cache, and every process's memory of it."""
        super().clear()
        self._forget_everything()

    @property
    def is_down(self):
        return self._cache.health.is_down

    def ping(self):
        """Whether Redis answers now (for /healthz); never raises."""
        client = self._cache
        if not reachable(client):
            return False
        try:
            client.get_client().ping()
        except client.errors as error:
            client.health.failed(error)
            return False
        return True
