from django.contrib.sessions.backends import cached_db

from . import PersonSessionMixin


class SessionStore(PersonSessionMixin, cached_db.SessionStore):
    """
    Sessions in the database, each row with its person's id, read through
    the cache; deleting one deletes its cached copy too.
    """
