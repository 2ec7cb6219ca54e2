"""Alembic migrations: the only way the schema is made (``m2c db upgrade``)."""
