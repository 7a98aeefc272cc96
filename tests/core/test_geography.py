"""Country, province and currency names follow the interface language (ISO names from
pycountry's own catalogues); codes and validation do not."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from sinergi.core import geography


@pytest.mark.django_db
def test_country_filter_is_in_the_page_language():
    """Given the partnership list, the country filter names Germany in the language shown."""
    assert '<option value="DE" >Germany</option>' in Client().get("/en/partnerships/").text
    assert '<option value="DE" >Jerman</option>' in Client().get("/id/partnerships/").text


def test_names_follow_the_active_language_but_codes_do_not():
    """Given Indonesian, names are Indonesian; the same codes validate in either language."""
    with translation.override("id"):
        assert geography.country_names()["NL"] == "Belanda"
        assert dict(geography.currency_choices())["USD"].startswith("USD — ")
        assert dict(geography.subdivisions_of("ID"))["ID-JB"] == "Jawa Barat"
        geography.validate_country("NL")
        geography.validate_currency("IDR")
    with translation.override("en"):
        assert geography.country_names()["NL"] == "Netherlands"
        with pytest.raises(ValidationError):
            geography.validate_currency("XYZ")


@pytest.mark.parametrize("code", ["XAU", "XAG", "XDR", "XTS", "XXX", "CHE", "XBA"])
def test_metals_units_and_no_currency_are_not_money(code):
    """Given an ISO 4217 code that no one pays with (gold, the SDR, the testing code, "no
    currency", a fund code), then it is neither offered nor accepted for money; the real
    currencies around them (the CFA francs, the East Caribbean dollar) are."""
    with pytest.raises(ValidationError):
        geography.validate_currency(code)
    offered = dict(geography.currency_choices())
    assert code not in offered
    assert {"XAF", "XOF", "XCD", "XPF", "IDR", "USD"} <= set(offered)


def test_every_currency_offered_for_money_is_in_iatis_codelist_or_newer():
    """Every code Sinergi takes for money is an active code of the IATI Currency codelist,
    except currencies ISO 4217 added after that snapshot (the Caribbean guilder, the
    Zimbabwe gold)."""
    import xml.etree.ElementTree as ET
    from pathlib import Path

    codelist = Path(__file__).resolve().parents[2].parent / "shared/data/iati/codelists"
    path = codelist / "Currency.xml"
    if not path.exists():
        pytest.skip(f"IATI codelists not at {codelist}")
    active = {
        item.findtext("code").strip()
        for item in ET.parse(path).getroot().iter("codelist-item")  # noqa: S314 (our data)
        if item.get("status") != "withdrawn"
    }
    offered = {code for code, _label in geography.currency_choices()}
    assert offered - active == {"XCG", "ZWG"}


# Currency names the iso-codes Indonesian catalogue leaves in English or Spanish (or
# spells "Kolumbia"), as Sinergi puts them.
INDONESIAN_FIXES = {
    "GBP": "Pound Sterling Inggris",
    "CNY": "Yuan Renminbi Tiongkok",
    "XAF": "Franc CFA BEAC",
    "XOF": "Franc CFA BCEAO",
    "XPF": "Franc CFP",
    "CVE": "Escudo Tanjung Verde",
    "UYU": "Peso Uruguay",
    "UYI": "Peso Uruguay dalam Unidades Indexadas (UI)",
    "CLF": "Unidad de Fomento Chili",
    "COP": "Peso Kolombia",
    "COU": "Unidad de Valor Real Kolombia",
    "BOV": "Mvdol Bolivia",
}

# Currencies whose name Indonesian writes as English does: one word, the currency's own.
SAME_IN_BOTH = {
    "AFN", "ALL", "AOA", "BDT", "BOB", "BTN", "BWP", "ERN", "EUR", "GEL", "GMD", "GTQ",
    "HNL", "HTG", "HUF", "IDR", "JPY", "KGS", "KHR", "KRW", "KZT", "LSL", "MKD", "MMK",
    "MNT", "MOP", "MRU", "MVR", "NGN", "PAB", "PEN", "PGK", "PLN", "PYG", "STN", "THB",
    "TJS", "TOP", "UAH", "VND", "VUV", "WST",
}  # fmt: skip


def test_every_currency_offered_has_an_indonesian_name():
    """Given the base-currency list in Indonesian, then every currency it offers is named
    in Indonesian: a name that reads as the English one is the currency's own single word
    (Rupiah, Euro, Yen), never an English phrase such as "Pound Sterling" or "CFP Franc"
    (a new catalogue that loses a translation fails here)."""
    with translation.override("en"):
        english = dict(geography.currency_choices())
    with translation.override("id"):
        indonesian = dict(geography.currency_choices())
    assert indonesian.keys() == english.keys()
    same = {code for code in english if english[code] == indonesian[code]}
    assert same == SAME_IN_BOTH
    for code in same:
        assert " " not in english[code].split(" — ", 1)[1], code


def test_names_the_catalogues_get_wrong_are_put_right():
    """Given Indonesian, Timor-Leste reads "Timor Leste" (not "Timor Timur", the name of
    the Indonesian province before 1999), the Congolese and Comorian francs differ, and
    the highland province reads Papua Pegunungan in every language (ISO 3166-2 spells
    it "Pengunungan"); the codes stay the same."""
    with translation.override("id"):
        assert geography.country_names()["TL"] == "Timor Leste"
        currencies = dict(geography.currency_choices())
        assert currencies["CDF"] == "CDF — Franc Kongo"
        assert currencies["KMF"] == "KMF — Franc Komoro"
        assert currencies["VED"] != currencies["VES"].replace("VES", "VED")
        assert dict(geography.subdivisions_of("ID"))["ID-PE"] == "Papua Pegunungan"
        assert "Timor Timur" not in dict(geography.country_choices()).values()
        # Left in English or Spanish by the catalogue: put in Indonesian.
        assert {code: currencies[code].split(" — ", 1)[1] for code in INDONESIAN_FIXES} == (
            INDONESIAN_FIXES
        )
    with translation.override("en"):
        assert geography.country_names()["TL"] == "Timor-Leste"
        assert dict(geography.subdivisions_of("ID"))["ID-PE"] == "Papua Pegunungan"
        geography.validate_country("TL")
