import pickle

from django.contrib.sessions.backends import db

from backcare_site.changes import Kept

from . import PersonSessionMixin

# The data of the session rows this process decoded lately, by the row's
# text, pickled: each request gets its own copy. Decoding checks the text's
# signature, a twentieth of a signed-in page's time on SQLite (cProfile);
# the same text always decodes the same, and the row is read afresh from the
# database each time, so a kept entry is never out of date.
_decoded = Kept(size=10_000, seconds=24 * 60 * 60)


class SessionStore(PersonSessionMixin, db.SessionStore):
    """Sessions in the database, each row with its person's id."""

    def load(self):
        # Django's, read with one plain statement (BrowserSession.objects).
        text = self.model.objects.live_data(self.session_key)
        if text is None:
            self._session_key = None
            return {}
        kept = _decoded.get(text)
        if kept is not None:
            return pickle.loads(kept)
        data = self.decode(text)
        if data:  # not a row that failed its signature ({}, logged by decode)
            _decoded.set(text, pickle.dumps(data))
        return data
