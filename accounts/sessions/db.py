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

    # (id, row values) of the person signed in, read with the session's row.
    person_read_with_it = None

    def load(self):
        # Django's, read with one plain statement (BrowserSession.objects),
        # which also reads the row of the person signed in. Kept only when
        # Django's get_user is what loads the session: it asks for the
        # person next (accounts.models.read_with); read earlier in the
        # request, the row could be older than a save made since.
        from accounts.models import reading_who_is_signed_in_now  # apps loaded

        self.person_read_with_it = None
        row = self.model.objects.live_row(self.session_key)
        if row is None:
            self._session_key = None
            return {}
        text, person = row
        if reading_who_is_signed_in_now():
            self.person_read_with_it = person
        kept = _decoded.get(text)
        if kept is not None:
            return pickle.loads(kept)
        data = self.decode(text)
        if data:  # not a row that failed its signature ({}, logged by decode)
            _decoded.set(text, pickle.dumps(data))
        return data
