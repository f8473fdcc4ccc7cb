from django.contrib.sessions.backends import db

from . import PersonSessionMixin


class SessionStore(PersonSessionMixin, db.SessionStore):
    """Django's database sessions, each row with its person's id."""
