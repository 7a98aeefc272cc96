"""Moving signed-in sessions from Django's model backend to Sinergi's (same behaviour, the
person read with one raw query): a session remembers the backend that signed it in, and
Django signs out a session whose backend is no longer configured."""

from __future__ import annotations

from typing import Any

DJANGO = "django.contrib.auth.backends.ModelBackend"
SINERGI = "sinergi.access.backends.ModelBackend"


def rename_backend(session_model: Any, old: str, new: str) -> int:
    """Rewrite the sessions signed in through `old` as signed in through `new`."""
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    moved = 0
    for session in session_model.objects.iterator(chunk_size=2_000):
        data = store.decode(session.session_data)
        if data.get("_auth_user_backend") == old:
            data["_auth_user_backend"] = new
            session.session_data = store.encode(data)
            session.save(update_fields=["session_data"])
            moved += 1
    return moved
