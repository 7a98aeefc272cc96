"""Demo data for lifecycle (called by `sinergi demo`; idempotent)."""


def seed() -> None:
    """Add this capability's part of the demo design to the two demo partnerships."""
