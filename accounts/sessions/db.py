from django.contrib.sessions.backends import db

from . import PersonSessionMixin


class SessionStore(PersonSessionMixin, db.SessionStore):
    """Sessions in the database, each row with its person's id."""
