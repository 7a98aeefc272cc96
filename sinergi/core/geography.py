"""ISO 3166 countries and subdivisions (via pycountry), and ISO 4217 currencies."""

from __future__ import annotations

from functools import cache, lru_cache

import pycountry
from django.core.exceptions import ValidationError
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _


@cache
def country_choices() -> list[tuple[str, str]]:
    """(alpha-2, English name) for every ISO 3166-1 country, sorted by name."""
    return sorted(((c.alpha_2, c.name) for c in pycountry.countries), key=lambda item: item[1])


@cache
def country_names() -> dict[str, str]:
    return dict(country_choices())


@cache
def subdivision_names() -> dict[str, str]:
    """ISO 3166-2 code → name, for every subdivision of every country."""
    return {s.code: s.name for s in pycountry.subdivisions}


@lru_cache(maxsize=64)
def _country_options(selected: str) -> SafeString:
    return mark_safe(  # noqa: S308 - codes and names are escaped
        "".join(
            f'<option value="{escape(code)}" {"selected" if code == selected else ""}>'
            f"{escape(name)}</option>"
            for code, name in country_choices()
        )
    )


def country_options(selected: str = "") -> SafeString:
    """The <option>s of a country filter, `selected` marked, as the template loop made them.

    Two hundred and fifty options looped over in a template were most of a list page's
    rendering time; this markup is built once per selected country.
    """
    return _country_options(selected if selected in country_names() else "")


def subdivisions_of(country: str) -> list[tuple[str, str]]:
    """The ISO 3166-2 subdivisions of one country, sorted by name."""
    found = pycountry.subdivisions.get(country_code=country) or []
    return sorted(((s.code, s.name) for s in found), key=lambda item: item[1])


@cache
def currency_choices() -> list[tuple[str, str]]:
    """(ISO 4217 code, name) for every active currency, sorted by code."""
    return sorted((c.alpha_3, f"{c.alpha_3} — {c.name}") for c in pycountry.currencies)


def validate_country(code: str) -> None:
    if code not in country_names():
        raise ValidationError(
            _("“%(code)s” is not an ISO 3166-1 country code."), params={"code": code}
        )


def validate_currency(code: str) -> None:
    if code not in dict(currency_choices()):
        raise ValidationError(
            _("“%(code)s” is not an ISO 4217 currency code."), params={"code": code}
        )


def validate_country_list(codes: object) -> None:
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise ValidationError(_("Give a list of ISO 3166-1 country codes."))
    for code in codes:
        validate_country(code)


def validate_subdivisions(codes: object, countries: list[str]) -> None:
    """Each code must be an ISO 3166-2 subdivision of one of `countries`."""
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise ValidationError(_("Give a list of ISO 3166-2 subdivision codes."))
    known = subdivision_names()
    for code in codes:
        if code not in known:
            raise ValidationError(
                _("“%(code)s” is not an ISO 3166-2 subdivision code."), params={"code": code}
            )
        if code.split("-")[0] not in countries:
            raise ValidationError(
                _("Subdivision %(code)s is not in the chosen countries."), params={"code": code}
            )
