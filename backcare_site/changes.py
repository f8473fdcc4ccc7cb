"""
Word of changes between the site's processes, so that each can remember what
it read from Redis and still never answer from memory after a change.

Every read from Redis is a round trip: about 60 µs on a quiet machine, more
under load, more than the rest of a cached page. Most pages read the same
few small entries (the catalogue's version, the signed-in person's row) that
change a few times a day. A process may keep them (``remembered``) if it
hears of every change: whoever changes one publishes its topic on a Redis
channel (``announce``), and each process subscribes to that channel on a
connection of its own (``ChangeFeed``). Before a process answers from its
memory it reads whatever word has arrived on that connection, a poll of the
socket and no round trip. ``announce`` returns only once Redis has written
the word to every subscriber (``SharedClientRedisCache.announce``), so a
request that starts after the change's own response finds the word waiting.

While the subscription is lost (Redis restarted, the network dropped) the
process forgets everything it kept, and keeps nothing until it has
subscribed again: word sent meanwhile would be lost. Without a shared cache
(SQLite and a local-memory cache, one process) there is no feed, and
``remembered`` always reads.

What is kept under a version that never changes (a page rendered for the
catalogue's version ``v``) needs no word at all: ``Kept`` holds such entries,
the least recently used going first.
"""

import logging
import os
import threading
import time
from collections import OrderedDict
from contextlib import suppress

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger("backcare.cache")

# The word that makes every process forget everything it kept.
EVERYTHING = "*"


class ChangeFeed:
    """
    One process's subscription to the word of changes, and what it keeps
    until then: a dict per topic.
    """

    # Topics kept at most (a person's row and figures, a browser's session);
    # past it, the least recently used goes first.
    MAX_TOPICS = 10_000

    def __init__(self, subscribe, *, retry_seconds):
        # ``subscribe()``: a redis-py connection subscribed to the channel.
        self._subscribe = subscribe
        self.retry_seconds = retry_seconds
        self._reset()
        # A connection does not survive fork(): a worker forked from a process
        # that had one subscribes afresh.
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self):
        self._lock = threading.Lock()
        self._connection = None
        self._connecting = False
        self._next_try = 0.0
        self._memos = OrderedDict()

    def memo(self, topic):
        """
        This process's dict for ``topic``, emptied by the next word of a
        change to it; None while no word can be heard.
        """
        with self._lock:
            connect = self._connection is None and self._may_connect()
        if connect:
            # Outside the lock: the other threads answer without memory
            # meanwhile, rather than wait on a Redis that may not answer.
            self._connect()
        with self._lock:
            if not self._listening():
                return None
            memo = self._memos.get(topic)
            if memo is None:
                if len(self._memos) >= self.MAX_TOPICS:
                    self._memos.popitem(last=False)
                memo = self._memos[topic] = {}
            else:
                self._memos.move_to_end(topic)
            return memo

    def forget(self, topic):
        """What this process kept of ``topic`` is stale, whatever the feed says."""
        with self._lock:
            self._forget(topic)

    def _forget(self, topic):
        # A new dict, not an emptied one: a request that read before the word
        # and stores after it writes into the old dict, which no one reads.
        if topic == EVERYTHING:
            self._memos = OrderedDict()
        else:
            self._memos.pop(topic, None)

    def _may_connect(self):
        if self._connecting or time.monotonic() < self._next_try:
            return False
        self._connecting = True
        return True

    def _connect(self):
        try:
            connection = self._subscribe()
        except Exception as error:  # any failure: serve without memory
            logger.warning("No word of changes (%s): not remembering.", error)
            connection = None
        with self._lock:
            self._connecting = False
            if connection is None:
                self._next_try = time.monotonic() + self.retry_seconds
            else:
                self._connection = connection
                self._memos = OrderedDict()

    def _listening(self):
        """Read the word waiting; whether the subscription holds."""
        if self._connection is None:
            return False
        try:
            while self._connection.can_read(timeout=0):
                message = self._connection.read_response()
                if isinstance(message, list) and message[0] == b"message":
                    self._forget(message[2].decode())
        except Exception as error:
            self._lost(error)
            return False
        return True

    def _lost(self, error):
        connection, self._connection = self._connection, None
        self._memos = OrderedDict()
        self._next_try = time.monotonic() + self.retry_seconds
        logger.warning("Lost the word of changes (%s): not remembering.", error)
        with suppress(Exception):  # already broken
            connection.disconnect()


def feed():
    """The shared cache's ChangeFeed, or None (a cache of one process)."""
    return getattr(cache, "changes", None)


def remembered(topic, key, read, *, seconds):
    """
    ``read()``, kept by this process under ``topic`` and ``key`` until word
    that ``topic`` changed, or for ``seconds`` at most; read each time when
    there is no feed. None is never kept.
    """
    changes = feed()
    memo = changes.memo(topic) if changes is not None else None
    if memo is None:
        return read()
    kept = memo.get(key)
    if kept is not None and time.monotonic() - kept[1] < seconds:
        return kept[0]
    value = read()
    if value is not None:
        memo[key] = (value, time.monotonic())
    return value


def announce(*topics):
    """
    Tell every process that ``topics`` changed: now, for readers in this
    transaction's process and those who would keep what they read before it,
    and again once it commits, for those who read in between.
    """
    changes = feed()
    if changes is None or not topics:
        return
    for topic in topics:
        changes.forget(topic)
    cache.announce(*topics)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: cache.announce(*topics), robust=True)


class Kept:
    """
    At most ``size`` entries that never change once made (each is keyed by
    the version it is of), the least recently used going first, each for
    ``seconds`` at most; safe to share between threads.
    """

    def __init__(self, size, seconds):
        self.size = size
        self.seconds = seconds  # a number, or a function answering one
        self._entries = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        """The entry kept under ``key``, or None."""
        with self._lock:
            kept = self._entries.get(key)
            if kept is None:
                return None
            self._entries.move_to_end(key)
        seconds = self.seconds() if callable(self.seconds) else self.seconds
        return kept[0] if time.monotonic() - kept[1] < seconds else None

    def set(self, key, value):
        with self._lock:
            self._entries[key] = (value, time.monotonic())
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
