import hashlib
import pickle
import time

from django.contrib.sessions.backends import cached_db

from backcare_site.changes import announce, feed

from . import PersonSessionMixin

# A safety net for a session's end that sends no word (its cache entry
# expiring): a process keeps a session at most this long past it.
SESSION_MEMORY_SECONDS = 60


def session_topic(session_key):
    """The word of a change to a session; named by a hash, not by the key."""
    digest = hashlib.blake2b(session_key.encode(), digest_size=16).hexdigest()
    return f"session:{digest}"


class SessionStore(PersonSessionMixin, cached_db.SessionStore):
    """
    Sessions in the database, each row with its person's id, read through
    the cache; deleting one deletes its cached copy too.

    Each process also remembers a session it read until word that it
    changed (``backcare_site.changes``): every save and deletion sends it,
    so a page loaded after a guided step was marked, a log-out or an
    account's deletion never reads the session as it was. Each request
    gets its own copy of the data.
    """

    def load(self):
        changes = feed()
        memo = changes.memo(session_topic(self.session_key)) if changes else None
        kept = memo.get("data") if memo is not None else None
        if kept is not None and time.monotonic() - kept[1] < SESSION_MEMORY_SECONDS:
            return pickle.loads(kept[0])
        data = super().load()
        if memo is not None and data:  # a live session, with something in it
            memo["data"] = (pickle.dumps(data), time.monotonic())
        return data

    def save(self, must_create=False):
        super().save(must_create=must_create)
        announce(session_topic(self.session_key))

    def delete(self, session_key=None):
        key = session_key if session_key is not None else self.session_key
        super().delete(session_key)
        if key is not None:
            announce(session_topic(key))
