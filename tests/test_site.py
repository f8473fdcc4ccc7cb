import pytest


def test_healthz_is_plain_text_and_never_cached(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Content-Type"].startswith("text/plain")
    assert "no-cache" in response["Cache-Control"]
    assert "max-age=0" in response["Cache-Control"]


def test_healthz_answers_head_but_not_post(client, db):
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_the_404_page_keeps_the_sites_look(client, db):
    response = client.get("/no/such/page/")

    assert response.status_code == 404
    body = response.content.decode()
    assert "<title>Page not found · BackCare</title>" in body
    assert '<a class="visually-hidden-focusable skip-link" href="#content">' in body
    assert "Skip to main content" in body
    assert '<main id="content"' in body
    assert body.index("Skip to main content") < body.index('<main id="content"')
    assert '<nav class="navbar' in body


@pytest.mark.parametrize("url", ["/", "/about/", "/no/such/page/"])
def test_every_page_is_made_for_phones(client, db, url):
    body = client.get(url).content.decode()

    assert body.startswith("<!doctype html>")
    assert '<html lang="en">' in body
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in (
        body
    )


@pytest.mark.parametrize("url", ["/", "/about/"])
def test_pages_use_only_local_static_files(client, db, url):
    body = client.get(url).content.decode()

    assert 'href="/static/bootstrap/css/bootstrap.min.css"' in body
    assert 'href="/static/css/site.css"' in body
    assert "//cdn" not in body
    assert 'src="http' not in body
    assert 'href="http' not in body
