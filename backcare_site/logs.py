import logging
import time


class Seldom(logging.Filter):
    """
    Lets each message through at most once every ``seconds`` in a process: an
    outage of the cache is logged (django-redis logs every call it ignores),
    not every call during it.
    """

    def __init__(self, seconds=60):
        super().__init__()
        self.seconds = float(seconds)
        self.last = {}

    def filter(self, record):
        now = time.monotonic()
        last = self.last.get(record.msg)
        if last is not None and now - last < self.seconds:
            return False
        self.last[record.msg] = now
        return True
