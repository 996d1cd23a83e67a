"""The domain core: every rule (permissions, names, versions, aliases) and every state
change happens here, once. GraphQL resolvers, HTTP endpoints and seeding are adapters
that call these functions with the acting user and plain arguments; the functions
write through `store/`, return records, raise `errors.DomainError`s worded as the SDK
expects, and announce what changed as typed `events` after the transaction commits.
"""
