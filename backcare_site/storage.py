"""The static files as production serves them."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    """
    WhiteNoise's compressed manifest storage, which also rewrites the imports
    between ES modules (the guided player's static/js/player/*.js) to their
    hashed names: a deploy never pairs a new module with an old one from a
    browser's cache, and every module is cached for as long as the rest.
    """

    support_js_module_import_aggregation = True
