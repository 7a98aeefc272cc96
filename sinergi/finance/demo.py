"""A year of finance for the two demo partnerships."""


def seed() -> None:
    """Idempotent: does nothing when the demo partnerships already have finance."""
