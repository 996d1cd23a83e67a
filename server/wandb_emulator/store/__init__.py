"""The data-access layer: the only place with SQL.

Its SQL is written once for SQLite and PostgreSQL (`INSERT ... ON CONFLICT`, `RETURNING`,
keyset pages on indexed columns, parameterized statements with `?`); the two backends,
`sqlite.py` and `postgres.py`, hold what differs (connections, placeholders, the schema's
DDL, locks, how other processes' commits are noticed). SQLite-only still: `REGEXP` in a
listing's WHERE clause (on PostgreSQL `$regex` is matched in Python, `Database.sql_regexp`)
and `ORDER BY x.rowid` for insertion order, which on PostgreSQL reads a `rowid` identity
column the translated schema adds to those tables (`postgres.INSERTION_ORDERED`).

Write transactions run one at a time across every process of a database (see
`database.py`), so each read-then-write sequence below holds with several writers.
"""
