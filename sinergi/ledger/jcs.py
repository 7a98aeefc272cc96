"""RFC 8785 (JCS) canonical JSON: the same bytes as `rfc8785.dumps`, usually much faster.

`rfc8785` serialises in pure Python (tens of microseconds for a ledger entry). For values
made only of exact dicts with ASCII string keys, lists, tuples, strings, booleans, None
and integers within ±(2**53 - 1), the standard library's C encoder with sorted keys, no
whitespace and no ASCII escaping writes exactly what RFC 8785 prescribes:

- keys: for ASCII keys, code-point order (Python's) is UTF-16 code-unit order (RFC 8785);
- strings: both escape only `"`, `\\` and U+0000-U+001F, with the short forms \\b \\f \\n \\r \\t
  and lowercase `\\u00xx` for the rest, and leave everything else as UTF-8;
- integers in that range print the same decimal digits.

Anything else (floats, larger integers, non-ASCII keys, subclasses, other types) and any
string that is not valid UTF-8 (lone surrogates) goes to `rfc8785.dumps`, so results and
errors are always rfc8785's. tests/ledger/test_jcs.py checks the agreement on random values.
"""

from __future__ import annotations

import json
from typing import Any

import rfc8785

_INT_MAX = 2**53 - 1
_encode = json.JSONEncoder(
    ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False
).encode


def _plain(value: Any) -> bool:
    """True when the stdlib encoder is known to write `value` exactly as RFC 8785 does."""
    pending = [value]
    pop, extend = pending.pop, pending.extend
    while pending:
        item = pop()
        kind = type(item)
        if kind is str or item is None or kind is bool:
            continue
        if kind is int:
            if not -_INT_MAX <= item <= _INT_MAX:
                return False
        elif kind is dict:
            for key in item:
                if type(key) is not str or not key.isascii():
                    return False
            extend(item.values())
        elif kind is list or kind is tuple:
            extend(item)
        else:
            return False
    return True


def dumps(value: Any) -> bytes:
    """The RFC 8785 serialisation of `value`, byte for byte what `rfc8785.dumps` returns."""
    if _plain(value):
        try:
            return _encode(value).encode("utf-8")
        except UnicodeEncodeError:
            pass  # a lone surrogate: let rfc8785 raise its own error
    return rfc8785.dumps(value)
