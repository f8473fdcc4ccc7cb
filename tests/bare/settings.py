"""
What `make bench` measures each of BackCare's pages against: a bare Django
project, one view answering "ok", no middleware, no apps, no database, debug
off. gunicorn serves it with the same gunicorn.conf.py, workers and threads
as BackCare, through Django's own WSGI application (tests/bare/wsgi.py, as a
new project's wsgi.py makes it).
"""

import os

DEBUG = False
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1").split(",")
ROOT_URLCONF = "tests.bare.urls"
INSTALLED_APPS = []
MIDDLEWARE = []
DATABASES = {}
USE_TZ = True
