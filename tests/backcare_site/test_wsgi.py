"""The WSGI application gunicorn serves (backcare_site/wsgi.py), on a real
gunicorn: Django's own, so HEAD and ALLOWED_HOSTS are Django's and the
server's."""

import socket

import pytest

from tests.factories import PASSWORD, UserFactory
from tests.servers import gunicorn, needs_postgresql

pytestmark = [pytest.mark.servers, needs_postgresql]


def head(server, path, cookie=""):
    """(status, headers, body) of a HEAD of ``path``, read off the socket to
    its close: what the server sent, not what an HTTP library expects of HEAD."""
    with socket.create_connection((server.host, server.port), timeout=10) as sock:
        sock.sendall(
            f"HEAD {path} HTTP/1.1\r\nHost: {server.host}:{server.port}\r\n"
            f"Cookie: {cookie}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines)
    return int(status_line.split()[1]), headers, body


def test_head_answers_as_get_with_no_body_and_a_host_not_allowed_gets_400(
    transactional_db, practice
):
    UserFactory(username="head_person")
    with gunicorn(workers=1) as server:
        visitor = server.client()
        person = server.signed_in("head_person", PASSWORD)
        for client, path in (
            (visitor, "/livez"),
            (visitor, "/"),
            (visitor, f"/routines/{practice.slug}/"),
            (person, f"/routines/{practice.slug}/"),
            (person, "/progress/"),
            (person, "/progress/history/"),
        ):
            got = client.get(path)
            status, headers, body = head(server, path, client.cookie_header)

            assert status == got.status == 200, (path, status)
            assert body == b"", path
            assert headers["Content-Length"] == str(len(got.body)), path
            assert headers["Content-Type"] == got.headers["Content-Type"], path
        assert "Log out" in got.text  # the person's pages, signed in

        for _ in range(2):  # refused every time, not only the first
            refused = visitor.request("GET", "/livez", headers={"Host": "evil.example"})
            assert refused.status == 400
        assert visitor.get("/livez").status == 200
