"""Results API (mounted at /api/v1/partnerships)."""

from ninja import Router

router = Router(tags=["results"])
