"""Template filters for a partnership's tab bar."""

from __future__ import annotations

from django import template

from sinergi.access import policy
from sinergi.partnerships.models import Partnership

register = template.Library()


@register.filter
def sees_members(partnership: Partnership, user: policy.User) -> bool:
    """Whether `user` may open the partnership's Members tab (`policy.can_see_members`):
    the tab is shown to them alone, not to every signed-in reader."""
    return policy.can_see_members(user, partnership)
