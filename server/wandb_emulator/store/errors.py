"""Errors the data layer raises; the GraphQL layer turns them into messages."""


class StoreError(Exception):
    pass


class Conflict(StoreError):
    """A unique name is already taken."""


class NotFound(StoreError):
    pass
