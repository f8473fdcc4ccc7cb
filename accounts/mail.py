"""
Mail sent after the response: a known address must not answer measurably
slower than an unknown one because of the mail it causes.
"""

import threading

_sending = set()
_lock = threading.Lock()


def send_later(send, *args, **kwargs):
    """Run ``send`` in a thread of its own; a graceful shutdown waits for it."""

    def run():
        try:
            send(*args, **kwargs)
        finally:
            with _lock:
                _sending.discard(thread)

    thread = threading.Thread(target=run, name="send-mail")
    with _lock:
        _sending.add(thread)
    thread.start()


def wait_for_mail(timeout=10):
    """Wait until every mail handed to ``send_later`` has gone (for tests)."""
    with _lock:
        threads = list(_sending)
    for thread in threads:
        thread.join(timeout)
