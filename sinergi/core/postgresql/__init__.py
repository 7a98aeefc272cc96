"""Django's PostgreSQL backend with a lighter connection health check (see `base`)."""
