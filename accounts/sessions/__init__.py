"""
Session engines that keep, beside each session, the id of the person signed
in on it, so that deleting an account can end its sessions on every device.

``accounts.sessions.db`` is Django's engine of that name storing
``accounts.models.BrowserSession`` rows, as Django's "Extending
database-backed session engines" shows. The store class keeps the name
``SessionStore``: the name is part of the salt that signs the
session data, so sessions written by Django's engines still read.
"""

from django.contrib.auth import SESSION_KEY


def user_id_of(data):
    """The signed-in person's id in a session's data, or None."""
    try:
        return int(data.get(SESSION_KEY))
    except (TypeError, ValueError):
        return None
