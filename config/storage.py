from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    """Hashed, compressed static files after ``collectstatic``, plain names before it.

    The stock storage answers every page with a 500 until someone runs collectstatic;
    this one falls back to the file's own name, which WhiteNoise serves from static/.
    """

    manifest_strict = False

    def stored_name(self, name):
        try:
            return super().stored_name(name)
        except ValueError:  # not collected yet
            return name
