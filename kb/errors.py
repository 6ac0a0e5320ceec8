"""Exceptions a user can meet; each message is meant to be shown as it is."""


class KbError(Exception):
    """Base class: a problem with the user's input or the index, not a bug."""


class BadQuery(KbError):
    """The query or its parameters cannot be searched (empty, too long, k out of range)."""


class NotFound(KbError):
    """A report or passage that the index does not hold."""


class IngestError(KbError):
    """A file that cannot be read as a report; the message names the reason."""


class ModelMismatch(KbError):
    """The index was built with another embedding model than the one configured."""


class StoreUnavailable(KbError):
    """The vector store (a Chroma server) cannot be reached."""


class StorageError(KbError):
    """The index's files cannot be written (a read-only folder, a full disk); nothing was half-written."""


class ConfigError(KbError):
    """A KB_* environment variable holds a value the setting cannot take; the message names it."""
