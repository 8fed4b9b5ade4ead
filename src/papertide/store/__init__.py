"""Storage: schema, engine, migrations and repository functions (SQLite and PostgreSQL)."""
