"""The read API: everything GraphQL resolvers and web pages show comes from here.

A `ReadSession` (`session.py`) is one request's reads: the viewer, the database and the
request's batched loaders (`loaders.py`). The functions of the area modules (`accounts`,
`projects`, `artifacts`, `collections`, `runs`, `sweeps`, `automations`) take it and
return records, or pages of records (`paging.py`), that the viewer may see:

- a lookup from an id or a name passes what it finds through the permission gate
  (`auth.allows`, or `auth.check` where a refusal is an error) and answers None for
  what the viewer may not see;
- a listing reads within the viewer's scope (`auth.visible_projects`, the same rule as
  a listing's WHERE clause);
- a function given a record reads below it (a visible collection's versions, a run's
  files): the caller got the record from this API, so the viewer may see it.

Results are cached as the store caches them (the reader's ResultCache, valid until the
next COMMIT), so a read function costs no round trip its store calls did not.
"""
