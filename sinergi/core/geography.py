"""ISO 3166 countries and subdivisions (via pycountry), and ISO 4217 currencies."""

from __future__ import annotations

import gettext
from functools import cache, lru_cache
from typing import Any

import pycountry
from django.core.exceptions import ValidationError
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _


def _language() -> str:
    return (get_language() or "en").split("-")[0]


@cache
def _translator(domain: str, language: str) -> gettext.NullTranslations:
    """pycountry's own translations of the ISO names (Debian iso-codes catalogues)."""
    if language == "en":
        return gettext.NullTranslations()
    try:
        return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[language])
    except OSError:
        return gettext.NullTranslations()


# Names the iso-codes catalogues get wrong, by catalogue, then language ("" for every
# language), then code. Indonesian: Timor-Leste is "Timor Leste" (the catalogue's "Timor
# Timur" is the name of the Indonesian province before 1999); the Congolese franc is
# not the Comorian one; the two bolívares are told apart; Colombia is
# Kolombia; names the catalogue leaves in English or Spanish are put in Indonesian.
# Every language: the province established by Law 16/2022 is Papua Pegunungan (ISO
# 3166-2 spells it "Pengunungan").
_NAME_FIXES: dict[str, dict[str, dict[str, str]]] = {
    "iso3166-1": {
        "id": {"TL": "Timor Leste", "CZ": "Ceko", "BQ": "Bonaire, Sint Eustatius, dan Saba"}
    },
    "iso3166-2": {"": {"ID-PE": "Papua Pegunungan"}},
    "iso4217": {
        "id": {
            "CDF": "Franc Kongo",
            "VED": "Bolívar Digital Venezuela",
            "VES": "Bolívar Soberano Venezuela",
            "AWG": "Florin Aruba",
            "SAR": "Riyal Saudi",
            "ILS": "Shekel Baru Israel",
            "COP": "Peso Kolombia",
            # Names the catalogue leaves in English or Spanish. A unit of account keeps
            # its own name, with its country (as "Unidad de Inversion (UDI) Meksiko").
            "GBP": "Pound Sterling Inggris",
            "CNY": "Yuan Renminbi Tiongkok",
            "XAF": "Franc CFA BEAC",
            "XOF": "Franc CFA BCEAO",
            "XPF": "Franc CFP",
            "CVE": "Escudo Tanjung Verde",
            "UYU": "Peso Uruguay",
            "UYI": "Peso Uruguay dalam Unidades Indexadas (UI)",
            "CLF": "Unidad de Fomento Chili",
            "COU": "Unidad de Valor Real Kolombia",
            "BOV": "Mvdol Bolivia",
        }
    },
}


def _names(domain: str, language: str) -> Any:
    """name(code, ISO name) in `language`: the catalogue's translation, or its fix."""
    translate = _translator(domain, language).gettext
    fixes = {**_NAME_FIXES[domain].get("", {}), **_NAME_FIXES[domain].get(language, {})}

    def name(code: str, iso_name: str) -> str:
        return fixes.get(code) or translate(iso_name)

    return name


@cache
def _country_choices(language: str) -> list[tuple[str, str]]:
    name = _names("iso3166-1", language)
    return sorted(
        ((c.alpha_2, name(c.alpha_2, c.name)) for c in pycountry.countries),
        key=lambda item: item[1].casefold(),
    )


def country_choices() -> list[tuple[str, str]]:
    """(alpha-2, name in the active language) for every ISO 3166-1 country, by name."""
    return _country_choices(_language())


@cache
def _country_names(language: str) -> dict[str, str]:
    return dict(_country_choices(language))


def country_names() -> dict[str, str]:
    return _country_names(_language())


@cache
def _subdivision_names(language: str) -> dict[str, str]:
    name = _names("iso3166-2", language)
    return {s.code: name(s.code, s.name) for s in pycountry.subdivisions}


def subdivision_names() -> dict[str, str]:
    """ISO 3166-2 code → name in the active language, for every subdivision."""
    return _subdivision_names(_language())


@lru_cache(maxsize=128)
def _country_options(selected: str, language: str) -> SafeString:
    return mark_safe(  # noqa: S308 - codes and names are escaped
        "".join(
            f'<option value="{escape(code)}" {"selected" if code == selected else ""}>'
            f"{escape(name)}</option>"
            for code, name in _country_choices(language)
        )
    )


def country_options(selected: str = "") -> SafeString:
    """The <option>s of a country filter, `selected` marked, as the template loop made them.

    Two hundred and fifty options looped over in a template were most of a list page's
    rendering time; this markup is built once per selected country and language.
    """
    return _country_options(selected if selected in country_names() else "", _language())


def subdivisions_of(country: str) -> list[tuple[str, str]]:
    """The ISO 3166-2 subdivisions of one country, by name in the active language."""
    names = subdivision_names()
    found = pycountry.subdivisions.get(country_code=country) or []
    return sorted(((s.code, names[s.code]) for s in found), key=lambda item: item[1].casefold())


# ISO 4217 codes that are not money anyone pays with: precious metals, bond-market units,
# the SDR-like units, the testing code and "no currency", and the fund codes that stand
# beside a currency (WIR, unidad previsional). None is in IATI's Currency codelist.
NOT_MONEY = frozenset(
    {"XAU", "XAG", "XPD", "XPT", "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XUA", "XAD"}
    | {"XTS", "XXX", "CHE", "CHW", "UYW"}
)


def _money() -> list[Any]:
    return [c for c in pycountry.currencies if c.alpha_3 not in NOT_MONEY]


@cache
def _currency_choices(language: str) -> list[tuple[str, str]]:
    name = _names("iso4217", language)
    return sorted((c.alpha_3, f"{c.alpha_3} — {name(c.alpha_3, c.name)}") for c in _money())


def currency_choices() -> list[tuple[str, str]]:
    """(ISO 4217 code, label in the active language) for every currency, by code."""
    return _currency_choices(_language())


@cache
def _currency_codes() -> frozenset[str]:
    return frozenset(c.alpha_3 for c in _money())


def tidy_codes(codes: Any) -> Any:
    """ISO codes as a form or the API sends them: trimmed, in upper case, each once, in
    the order given, blanks dropped. Anything but a list of texts is left for the
    validators to refuse."""
    if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
        return codes
    return list(dict.fromkeys(code.strip().upper() for code in codes if code.strip()))


def tidy_code(code: Any) -> Any:
    """One ISO code as sent: trimmed, in upper case."""
    return code.strip().upper() if isinstance(code, str) else code


def validate_country(code: str) -> None:
    if code not in country_names():
        raise ValidationError(
            _("“%(code)s” is not an ISO 3166-1 country code."), params={"code": code}
        )


def validate_currency(code: str) -> None:
    if code not in _currency_codes():
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


def validate_region_list(codes: object) -> None:
    """Each code must be an ISO 3166-1 alpha-2 country or an ISO 3166-2 subdivision."""
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise ValidationError(_("Give a list of ISO 3166 country or subdivision codes."))
    countries = country_names()
    subdivisions = subdivision_names()
    for code in codes:
        if code not in countries and code not in subdivisions:
            raise ValidationError(
                _("“%(code)s” is not an ISO 3166 country or subdivision code."),
                params={"code": code},
            )


def region_labels(codes: list[str]) -> list[str]:
    """Display names of a mixed list of country and subdivision codes."""
    countries = country_names()
    subdivisions = subdivision_names()
    return [subdivisions.get(code) or countries.get(code, code) for code in codes]
