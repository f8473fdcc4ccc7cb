"""The shared Redis cache (backcare_site/cache.py): one client per pool, and
a Redis that cannot be reached answers as a miss, never an error."""

import os
import time

import pytest
from django.conf import settings

from backcare_site.cache import SharedClientRedisCache
from tests.servers import TcpProxy, free_port, redis_server


def test_the_redis_cache_keeps_one_client_per_connection_pool():
    cache = SharedClientRedisCache("redis://127.0.0.1:6379/9", {})

    reader = cache._cache.get_client("a")

    assert cache._cache.get_client("b") is reader
    assert cache._cache.get_client("a", write=True) is reader  # one server


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL")
def test_the_redis_cache_stores_and_reads_back():
    cache = SharedClientRedisCache(os.environ["REDIS_URL"], {"KEY_PREFIX": "t"})

    cache.set("answer", {"pain": 3}, 5)

    assert cache.get_many(["answer", "missing"]) == {"answer": {"pain": 3}}
    cache.delete("answer")


@pytest.mark.servers
def test_the_cache_answers_as_a_miss_when_redis_is_unreachable(caplog):
    closed = free_port()
    cache = SharedClientRedisCache(
        f"redis://127.0.0.1:{closed}/0",
        {"OPTIONS": {"socket_connect_timeout": 0.2, "retry_seconds": 60}},
    )

    started = time.monotonic()
    assert cache.get("missing", "default") == "default"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.add("a", 1) is False
    cache.set("a", 1)
    cache.delete("a")
    assert cache.ping() is False
    assert cache.is_down
    with pytest.raises(ValueError):
        cache.incr("a")
    # Only the first call tried; the rest answered at once.
    assert time.monotonic() - started < 1
    assert len([r for r in caplog.records if "unreachable" in r.message]) == 1


@pytest.mark.servers
def test_a_cache_that_comes_back_is_emptied_before_it_is_read(caplog):
    with redis_server() as port:
        proxy = TcpProxy("127.0.0.1", port)
        proxy.open()
        cache = SharedClientRedisCache(
            f"redis://127.0.0.1:{proxy.port}/0",
            {"OPTIONS": {"socket_timeout": 0.5, "retry_seconds": 0.2}},
        )
        cache.set("page", "before the outage")
        proxy.close()
        assert cache.get("page") is None
        assert cache.is_down
        proxy.open()
        time.sleep(0.3)

        assert cache.get("page") is None
        assert not cache.is_down
        cache.set("page", "after")
        assert cache.get("page") == "after"
        proxy.close()
    assert settings.CACHES  # the site's own cache is untouched by this test
