"""Errors the data layer raises; the GraphQL layer turns them into messages."""


class StoreError(Exception):
    pass


class Conflict(StoreError):
    """A unique name is already taken."""


class NotFound(StoreError):
    pass


class IntegrityError(StoreError):
    """A statement broke a constraint (a unique name taken meanwhile, a missing row a
    foreign key names), whichever database raised it."""


class UnstorableText(StoreError):
    """Text the database cannot hold (PostgreSQL's text refuses U+0000)."""
