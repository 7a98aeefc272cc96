"""Sinergi: software for strategic, multi-stakeholder partnerships for social development."""
