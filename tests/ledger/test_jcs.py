"""`jcs.dumps` returns exactly what `rfc8785.dumps` returns, or raises what it raises."""

from __future__ import annotations

import math

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from sinergi.ledger import jcs

# Strings from all of Unicode, lone surrogates and control characters included.
text = st.text(st.characters(codec=None), max_size=12)
keys = st.one_of(text, st.text(st.characters(max_codepoint=0x7F), max_size=6))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    text,
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(keys, inner, max_size=4),
    ),
    max_leaves=20,
)


def outcome(dump, value):
    try:
        return ("ok", dump(value))
    except Exception as exc:  # comparing whatever either raises
        return ("error", type(exc))


@settings(max_examples=1500, deadline=None)
@given(values)
def test_same_bytes_or_error_as_rfc8785(value):
    assert outcome(jcs.dumps, value) == outcome(rfc8785.dumps, value)


@pytest.mark.parametrize(
    "value",
    [
        {"b": 1, "a": [True, False, None], "é": "x", "\U0001f600": 1, "\ufb01": 2},
        {"s": 'tab\t nl\n quote" back\\ bell\x07 del\x7f ls\u2028 emoji\U0001f600'},
        {"n": 2**53 - 1, "m": -(2**53) + 1},
        {"n": 2**53},
        {"f": 1.0, "g": 1e21, "h": 5e-7, "i": -0.0},
        {"f": math.inf},
        {1: "int key"},
        {"lone": "\ud800"},
        {"set": {1, 2}},
        "plain string",
        [],
        {},
    ],
)
def test_edge_cases(value):
    assert outcome(jcs.dumps, value) == outcome(rfc8785.dumps, value)


def test_the_fast_path_is_taken_for_ledger_payloads():
    payload = {"kind": "partnership.updated", "payload": {"changes": {"title": ["A", "Ä"]}}}
    assert jcs._plain(payload)
    assert jcs.dumps(payload) == rfc8785.dumps(payload)
