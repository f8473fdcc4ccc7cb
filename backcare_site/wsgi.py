import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "backcare_site.settings")
django.setup(set_prefix=False)

from backcare_site.handlers import Handler  # noqa: E402 (needs the apps ready)

application = Handler()
