"""Numbers typed on the pages are read the way the page's language writes them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from sinergi.core.numbers import DecimalNumberField, NumberField, delocalize, localized


@pytest.mark.parametrize(
    ("language", "typed", "plain"),
    [
        ("id", "1.500", "1500"),
        ("id", "1.000,50", "1000.50"),
        ("id", "1000,50", "1000.50"),
        ("id", "1.000.000", "1000000"),
        ("id", " 19.900 ", "19900"),
        ("id", "1,5", "1.5"),
        ("id", "-2,5", "-2.5"),
        ("id", ",5", "0.5"),
        ("id", "1 500 000", "1500000"),
        ("id", "0,500", "0.500"),  # not a thousands group: it starts with 0
        ("id", "1,5000", "1.5000"),  # four decimals are decimals
        ("id", "1234,567", "1234.567"),  # four digits before: not a group
        ("en", "1,000.50", "1000.50"),
        ("en", "1.2500", "1.2500"),
        ("en", "1,000,000", "1000000"),
        ("en", "1.5", "1.5"),
        ("en", "+7", "7"),
    ],
)
def test_a_number_is_read_as_its_language_writes_it(language, typed, plain):
    with translation.override(language):
        assert delocalize(typed) == plain


@pytest.mark.parametrize(
    ("language", "typed"),
    [
        ("id", "1.5"),  # neither a decimal (a comma) nor a thousands group (three digits)
        ("id", "1500.50"),
        ("id", "1.50"),
        ("id", "Rp 1.000"),
        ("id", "1,5,0"),
        ("id", "-"),
        ("id", "1e3"),
        ("en", "1,5"),
        ("en", "1,50"),
        ("id", "0.500"),  # a thousands group never starts with 0
        ("en", "00,500"),
        ("id", "1 50"),  # spaces only between groups of three
        ("en", "1.5 0"),
        ("en", "1.000.000"),
        ("en", "12.5.1"),
        ("en", "NaN"),
        ("en", "١٢"),  # digits of another script
    ],
)
def test_a_number_that_could_be_read_two_ways_is_refused_with_an_example(language, typed):
    with translation.override(language), pytest.raises(ValidationError) as refused:
        delocalize(typed)
    example = "1.500,25" if language == "id" else "1,500.25"
    assert example in refused.value.messages[0]


@pytest.mark.parametrize(
    ("language", "typed", "thousands", "decimals"),
    [
        ("id", "1,500", "1500", "1,5000"),
        ("id", "-12,345", "12345", "12,3450"),
        ("en", "1.500", "1500", "1.5000"),
        ("en", "999.125", "999125", "999.1250"),
    ],
)
def test_a_number_that_is_fifteen_hundred_in_the_other_language_is_refused_with_both_readings(
    language, typed, thousands, decimals
):
    """ "1,500" on an Indonesian page is one and a half there but fifteen hundred to a
    reader used to English (and "1.500" on an English page the other way round): it is
    refused, and the message shows how to write each."""
    with translation.override(language), pytest.raises(ValidationError) as refused:
        delocalize(typed)
    message = refused.value.messages[0]
    assert thousands in message and decimals in message


@given(
    st.decimals(min_value=-(10**15), max_value=10**15, places=4),
    st.sampled_from(["id", "en"]),
)
def test_a_localized_number_reads_back_as_itself(number, language):
    with translation.override(language):
        assert Decimal(delocalize(localized(number))) == number


@given(st.decimals(min_value=0, max_value=10**9, places=4))
def test_no_text_reads_as_two_different_numbers_in_the_two_languages(number):
    """Whatever one language shows, the other reads as the same number or refuses it."""
    for shown_in, read_in in (("id", "en"), ("en", "id")):
        with translation.override(shown_in):
            text = localized(number)
        with translation.override(read_in):
            try:
                read = Decimal(delocalize(text))
            except ValidationError:
                continue
        assert read == number, (shown_in, text, read)


def test_the_fields_clean_to_plain_text_or_a_decimal_and_show_initial_values_the_reader_s_way():
    with translation.override("id"):
        assert NumberField().clean("1.500,5") == "1500.5"
        assert NumberField(required=False).clean("") == ""
        assert NumberField().prepare_value(Decimal("1500.50")) == "1500,5"
        assert NumberField().prepare_value("1.500") == "1.500"  # typed: shown as typed
        field = DecimalNumberField(max_digits=20, decimal_places=4, required=False)
        assert field.clean("61,5") == Decimal("61.5")
        assert field.clean("") is None
        with pytest.raises(ValidationError):
            field.clean("1,23456")  # five decimal places
        with pytest.raises(ValidationError):
            field.clean("1" * 41)


@pytest.mark.parametrize(
    "text",
    [
        "1_000", "\uff11\uff12\uff13", "\u0663", "NaN", "Infinity", "1,5", "", " ", "0x10",
        "+0.25", "1e3", "5E-1",
    ],
)  # fmt: skip
def test_the_api_and_imports_take_only_plain_numbers(text):
    """Given a number written with underscores, full-width or Arabic-Indic digits, NaN, a
    plus sign or an exponent, then the API's and imports' readers refuse it (Decimal()
    alone reads all of these); the results value reader says so on its field."""
    from decimal import InvalidOperation

    from django.core.exceptions import ValidationError

    from sinergi.core.numbers import plain_decimal
    from sinergi.results.services import parse_value

    with pytest.raises(InvalidOperation):
        plain_decimal(text)
    with pytest.raises(ValidationError) as error:
        parse_value(text)
    assert "value" in error.value.message_dict


@pytest.mark.parametrize("text", ["12", "-3.5", "0.25", ".5", "5.", "1000", " 42 "])
def test_plain_numbers_read_as_themselves(text):
    from decimal import Decimal

    from sinergi.core.numbers import plain_decimal

    assert plain_decimal(text) == Decimal(text.strip())
