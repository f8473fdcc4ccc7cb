"""
Mail sent after the response: a known address must not answer measurably
slower than an unknown one because of the mail it causes.
"""

import threading


def send_later(send, *args, **kwargs):
    """
    Run ``send`` in a thread of its own, named "send-mail"; not a daemon
    thread, so a graceful shutdown waits for it.
    """
    threading.Thread(target=send, args=args, kwargs=kwargs, name="send-mail").start()
