from django.contrib.sessions.backends import db

from . import PersonSessionMixin


class SessionStore(PersonSessionMixin, db.SessionStore):
    """Sessions in the database, each row with its person's id."""

    def load(self):
        # Django's, read with one plain statement (BrowserSession.objects).
        data = self.model.objects.live_data(self.session_key)
        if data is None:
            self._session_key = None
            return {}
        return self.decode(data)
