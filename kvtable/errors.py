"""The project's own errors, so callers never catch raw botocore ones."""


class KvTableError(Exception):
    """Base class of every error the data layer raises on purpose."""


class InvalidInputError(KvTableError, ValueError):
    """Input that DynamoDB would reject, caught before any request is made."""


class ItemNotFoundError(KvTableError):
    """The item asked for does not exist (or its TTL has passed)."""


class AlreadyExistsError(KvTableError):
    """A user id, API key or namespace name that is already taken."""


class ConditionFailedError(KvTableError):
    """A write's condition did not hold, so nothing was written."""


class NotHomeRegionError(KvTableError):
    """A creation that must be unique (a user, an API key, a namespace) sent outside the home region."""
