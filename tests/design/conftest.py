"""Fixtures shared by the partnership design tests (a module's own fixtures take precedence)."""

from tests.design.capabilities_fixtures import admin, capability, organisation  # noqa: F401
