"""The API's list pagination: ninja's limit and offset, within bounds a database can take."""

from __future__ import annotations

from ninja import Field, Schema
from ninja.conf import settings as ninja_settings
from ninja.pagination import LimitOffsetPagination

from sinergi.core.schemas import WholeNumber

# Far beyond any list here, and within every database's integer range: a larger limit or
# offset used to reach the database as it was and fail there (a 500).
MAX_OFFSET = 2**31 - 1
# The most items one page may hold: a larger page is one request holding a worker for
# seconds (the public checkpoint list grows by up to one a second, for ever).
MAX_LIMIT = 1000


class Pagination(LimitOffsetPagination):
    """`?limit=&offset=` as LimitOffsetPagination, refused with a 422 beyond MAX_LIMIT
    items a page or an offset beyond MAX_OFFSET. Both are decimal digits (`WholeNumber`):
    `1_0`, `+1` or `1.0` is a 422, as for the ledger's indices."""

    class Input(Schema):
        limit: WholeNumber = Field(ninja_settings.PAGINATION_PER_PAGE, ge=1, le=MAX_LIMIT)
        offset: WholeNumber = Field(0, ge=0, le=MAX_OFFSET)
