"""Django's model authentication backend, loading the signed-in person with raw SQL.

`get_user` runs on every signed-in request (after the session). The ORM's
`Person.objects.get(pk=…)` spends most of its time compiling the query; this is the same
SELECT of the same columns, made once (prepared on PostgreSQL), turned into a `Person` by
`Model.from_db` as the ORM would (`sinergi.core.sql.rows`). Passwords, permissions and
`authenticate` are Django's, unchanged.
"""

from __future__ import annotations

import ipaddress
import logging
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.auth import backends, get_user_model
from django.core.exceptions import ValidationError
from django.db import connections, router

from sinergi.core import sql

logger = logging.getLogger(__name__)


@cache
def _select_sql(alias: str) -> str:
    model = get_user_model()
    q = connections[alias].ops.quote_name
    columns = ", ".join(q(f.column) for f in model._meta.concrete_fields)
    # Table and column names come from the model, never from input.
    return f"SELECT {columns} FROM {q(model._meta.db_table)} WHERE {q(model._meta.pk.column)} = %s"  # noqa: S608


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id: Any) -> Any:
        model = get_user_model()
        try:
            pk = model._meta.pk.to_python(user_id)
        except ValidationError:
            return None
        alias = router.db_for_read(model)
        found = next(sql.rows(model, connections[alias], _select_sql(alias), [pk]), None)
        if found is None:
            return None
        person, _rest = found
        return person if self.user_can_authenticate(person) else None


AXES_USERNAME_LENGTH = 255  # axes.models.AccessAttempt.username


def client_ip(request: Any) -> str | None:
    """The address a sign-in attempt came from (AXES_CLIENT_IP_CALLABLE).

    Without a proxy, REMOTE_ADDR. Behind SINERGI_TRUSTED_PROXIES proxies that each append
    the address they saw to X-Forwarded-For, the one the outermost of them saw: counted
    from the right, since a client can write anything to the left of it. Without this,
    every client behind the proxy shared its address, and five wrong passwords from
    anyone locked an account out for everyone."""
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.SINERGI_TRUSTED_PROXIES
    if proxies <= 0:
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(forwarded) < proxies:
        return remote
    candidate = forwarded[-proxies]
    if candidate.startswith("["):  # [2001:db8::1]:443
        candidate = candidate[1:].partition("]")[0]
    elif candidate.count(":") == 1:  # 203.0.113.7:5555 (some proxies add the port)
        candidate = candidate.partition(":")[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        logger.warning("X-Forwarded-For has no address where one was expected: %r", candidate)
        return remote


def axes_username(request: Any, credentials: dict | None = None) -> str | None:
    """The username django-axes records a sign-in attempt under (AXES_USERNAME_CALLABLE).

    Axes' own lookup, cut to the 255 characters its tables hold: it stores what was typed
    as it is, and a longer name (no account has one) made PostgreSQL refuse the insert, so
    a failed sign-in answered 500 instead of "wrong username or password". Attempts under
    names that share their first 255 characters count together, which only locks out
    names no one can have."""
    field = settings.AXES_USERNAME_FORM_FIELD
    username = credentials.get(field) if credentials else None
    if username is None:
        username = getattr(request, "data", getattr(request, "POST", {})).get(field)
    if isinstance(username, str):
        return username[:AXES_USERNAME_LENGTH]
    return username
