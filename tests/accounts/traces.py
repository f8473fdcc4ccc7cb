"""Every trace a person leaves in the database, found by a scan of every table."""

import re

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore as SignedSessionData
from django.db import connection
from django.test import Client

from tests.factories import PASSWORD

PERSON = "quillon_vesper_7"
EMAIL = "quillon.vesper@example.org"


def log_in(address, username=PERSON, password=PASSWORD):
    """(client, response): a log-in from the client address ``address``."""
    client = Client(REMOTE_ADDR=address)
    response = client.post(
        "/accounts/login/", {"username": username, "password": password}
    )
    return client, response


def traces(pk):
    """Every row of every table that holds the person's name, email or id."""
    found = []
    session_data = SignedSessionData()
    user_type = ContentType.objects.get_for_model(get_user_model()).pk
    introspection = connection.introspection
    with connection.cursor() as cursor:
        for table in introspection.table_names(cursor):
            columns = [
                column.name
                for column in introspection.get_table_description(cursor, table)
            ]
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for values in cursor.fetchall():
                row = dict(zip(columns, values, strict=True))
                if "session_data" in row:
                    row["session_data"] = session_data.decode(row["session_data"])
                    if row["session_data"].get("_auth_user_id") == str(pk):
                        found.append((table, "_auth_user_id", row))
                words = str(row).casefold()
                if PERSON.casefold() in words or EMAIL.casefold() in words:
                    found.append((table, "text", row))
                for column, value in row.items():
                    if re.fullmatch(r"(\w+_)?user_id", column) and value == pk:
                        found.append((table, column, row))
                if row.get("content_type_id") == user_type and (
                    row.get("object_id") == str(pk)
                ):
                    found.append((table, "object_id", row))
    return found
