"""Django's own WSGI application, as a bare project's wsgi.py makes it."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.bare.settings")

application = get_wsgi_application()
