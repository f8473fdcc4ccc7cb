"""
Django's RedisCache, keeping one redis client per connection pool.

Django's client builds a new ``redis.Redis`` for every cache call, and each
one sets up its table of some 170 response callbacks: about a quarter of a
millisecond, more than the round trip to Redis itself, on every cached page.
A ``redis.Redis`` is safe to share between threads, so one per pool is kept.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class SharedClientRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient
