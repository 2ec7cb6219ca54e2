"""The web: one FastAPI application with the REST API (/api/v1), the staff console (/) and the
customer portal (/portal). See docs/web.md."""
