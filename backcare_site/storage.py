"""The static files as production serves them."""

from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """
    WhiteNoise's compressed manifest storage, which also rewrites the imports
    between ES modules (the guided player's static/js/player/*.js) to their
    hashed names: a deploy never pairs a new module with an old one from a
    browser's cache, and every module is cached for as long as the rest.
    """

    support_js_module_import_aggregation = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._urls = {}

    def url(self, name, force=False):
        """
        The file's hashed URL, looked up once per process: the manifest does
        not change while it runs, and working it out again (normalising,
        splitting, quoting, joining) costs more than the rest of a
        ``{% static %}`` tag. Debug mode answers unhashed names, so it is
        part of the key.
        """
        key = (name, force, settings.DEBUG)
        url = self._urls.get(key)
        if url is None:
            url = self._urls[key] = super().url(name, force)
        return url
