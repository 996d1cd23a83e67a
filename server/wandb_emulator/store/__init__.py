"""The data-access layer: the only place with SQL.

Portability: queries stay in the SQL that SQLite and PostgreSQL share where that costs
nothing (`INSERT ... ON CONFLICT DO NOTHING`, keyset pages on indexed columns,
parameterized statements only), so a PostgreSQL store can later sit behind the same
functions. What is still SQLite-only, and where: `ORDER BY rowid` for insertion order in
membership/tag/usage listings (tables without an id column), `json_set` on multipart
upload parts, `lastrowid` in `_sql.insert`, `BEGIN IMMEDIATE`/PRAGMAs and the `regexp`
function in `database.py`.
"""
