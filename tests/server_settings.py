"""
The settings of a gunicorn started by a test: production's, plus the tests'
fast password hasher, so it can check the passwords the test process stored
(tests/conftest.py). Everything else is exactly what production runs.
"""

from backcare_site.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
