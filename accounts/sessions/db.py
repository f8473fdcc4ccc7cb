from django.contrib.sessions.backends import db

from . import user_id_of


class SessionStore(db.SessionStore):
    """Django's database sessions, each row with its person's id."""

    @classmethod
    def get_model_class(cls):
        # Imported here, as Django's own engines do: importing an engine must
        # not need the apps to be loaded.
        from accounts.models import BrowserSession

        return BrowserSession

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        session.user_id = user_id_of(data)
        return session

    async def acreate_model_instance(self, data):
        session = await super().acreate_model_instance(data)
        session.user_id = user_id_of(data)
        return session
