"""Finance API, mounted at /api/v1/partnerships (paths start with "/{slug}/finance")."""

from ninja import Router

router = Router(tags=["finance"])
