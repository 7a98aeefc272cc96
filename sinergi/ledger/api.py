"""API of the transparency ledger: /api/v1/ledger/…  Hashes and checkpoints are public;
entry bodies follow the permission policy of their partnership."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import AfterValidator, StringConstraints
from pydantic_core import PydanticCustomError

from sinergi.access import policy
from sinergi.core.bodies import InputSchema
from sinergi.core.errors import RetryLater
from sinergi.core.pagination import Pagination
from sinergi.core.schemas import PathId, WholeNumber
from sinergi.ledger import checkpoints, log, queries
from sinergi.ledger.models import Checkpoint

router = Router(tags=["ledger"])

MAX_PAGE = 1000


class EntryOut(Schema):
    index: int
    leaf_hash: str = Field(description="base64 of SHA-256(0x00 ‖ body)")
    body: str | None = Field(None, description="base64 of the exact bytes that were hashed")
    kind: str | None = None
    partnership: str | None = None
    actor: str | None = None
    time: str | None = None
    payload: dict[str, Any] | None = None
    salt: str | None = Field(
        None,
        description="entries of a partnership: 16 random bytes, base64, that keep the public "
        "leaf hash from confirming a guess of a body the reader may not see",
    )


class EntriesOut(Schema):
    start: int
    end: int
    tree_size: int
    items: list[EntryOut]


class EntriesQuery(Schema):
    start: WholeNumber = Field(0, ge=0)
    end: WholeNumber | None = Field(None, ge=0, description=f"exclusive; at most start+{MAX_PAGE}")


_KIND = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+)*\.?")


def _kind(value: str) -> str:
    if not _KIND.fullmatch(value):
        raise PydanticCustomError(
            "kind",
            str(
                _(
                    "Give an entry kind, such as finance.transaction.recorded, or a family "
                    "of kinds ending in a dot, such as finance. (lowercase letters, digits "
                    "and _ between the dots)."
                )
            ),
        )
    return value


# The length first, so that a long kind is told its limit in characters.
Kind = Annotated[str, StringConstraints(max_length=61), AfterValidator(_kind)]


class PartnershipEntriesQuery(Schema):
    before: WholeNumber | None = Field(
        None, ge=0, description="only entries with a smaller index (the next page's cursor)"
    )
    limit: WholeNumber = Field(100, ge=1, le=MAX_PAGE)
    kind: Kind | None = Field(
        None,
        description="only this kind (finance.transaction.recorded), or a family of kinds "
        "when it ends with a dot (finance.)",
    )


class PartnershipEntriesOut(Schema):
    partnership: str
    tree_size: int
    items: list[EntryOut] = Field(description="newest first")
    next_before: int | None = Field(
        None, description="`before` for the next (older) page; null on the last page"
    )


class InclusionQuery(Schema):
    index: WholeNumber | None = Field(None, ge=0)
    leaf_hash: str | None = Field(None, max_length=100, description="base64, instead of index")
    tree_size: WholeNumber | None = Field(
        None, ge=1, description="defaults to the latest checkpoint"
    )


class InclusionOut(Schema):
    index: int
    tree_size: int
    leaf_hash: str
    root: str
    hashes: list[str]


class ConsistencyQuery(Schema):
    first: WholeNumber = Field(..., ge=1)
    second: WholeNumber = Field(..., ge=1)


class ConsistencyOut(Schema):
    first: int
    second: int
    first_root: str
    second_root: str
    hashes: list[str]


class CheckpointOut(Schema):
    size: int
    root: str
    note: str = Field(description="the signed note, with witnesses' cosignatures")
    created_at: datetime

    @staticmethod
    def resolve_root(obj: Checkpoint) -> str:
        return obj.root_b64

    @staticmethod
    def resolve_note(obj: Checkpoint) -> str:
        return checkpoints.full_note(obj, obj.cosignatures.all())


class CosignatureIn(InputSchema):
    checkpoint: str = Field(max_length=10_000, description="the checkpoint note that was cosigned")
    cosignature: str = Field(max_length=1_000, description="one tlog-cosignature/v1 line")


class CosignatureOut(Schema):
    witness: str
    size: int
    timestamp: int


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError({field: [message]})


@router.get("/entries", response=EntriesOut, summary="Entries with their leaf hashes")
def list_entries(request: HttpRequest, params: Query[EntriesQuery]) -> dict:
    size = log.current_head().size
    end = params.end if params.end is not None else params.start + 100
    if end < params.start:
        raise _invalid("end", _("end must not be smaller than start."))
    if end - params.start > MAX_PAGE:
        raise _invalid("end", _("Ask for at most %(n)d entries at a time.") % {"n": MAX_PAGE})
    end = min(end, size)
    items = queries.entries_for(request.auth, params.start, end)
    return {"start": params.start, "end": max(end, params.start), "tree_size": size, "items": items}


@router.get(
    "/partnerships/{slug}/entries",
    response=PartnershipEntriesOut,
    summary="One partnership's entries, newest first",
)
def partnership_entries(
    request: HttpRequest, slug: str, params: Query[PartnershipEntriesQuery]
) -> dict:
    """What the partnership's Ledger tab lists, with the exact bytes of each entry, for
    those who may see the partnership (404 for anyone else, as its pages)."""
    partnership = policy.get_partnership_for(request.auth, slug)
    size = log.current_head().size  # entries appended after this are left for later
    before = size if params.before is None else min(params.before, size)
    items = queries.partnership_page(partnership.pk, before, params.limit + 1, params.kind)
    more = len(items) > params.limit
    items = items[: params.limit]
    return {
        "partnership": partnership.slug,
        "tree_size": size,
        "items": items,
        "next_before": items[-1]["index"] if more else None,
    }


def _parse_hash(value: str, field: str) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        if " " in value and _is_base64(value.replace(" ", "+")):
            # base64's '+' sent raw, which a query string reads as a space
            raise _invalid(
                field,
                _(
                    "Give a base64-encoded hash, percent-encoded: in a query string a raw "
                    "'+' reads as a space, so write '+' as %2B."
                ),
            ) from exc
        raise _invalid(field, _("Give a base64-encoded hash.")) from exc
    if len(raw) != 32:
        raise _invalid(field, _("A hash is 32 bytes."))
    return raw


def _is_base64(value: str) -> bool:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _default_size() -> int:
    latest = checkpoints.latest_checkpoint()
    if latest is None:
        raise _invalid("tree_size", _("The log is empty."))
    return latest.size


@router.get("/proof/inclusion", response=InclusionOut, summary="RFC 9162 inclusion proof")
def inclusion_proof(request: HttpRequest, params: Query[InclusionQuery]) -> dict:
    if (params.index is None) == (params.leaf_hash is None):
        raise _invalid("index", _("Give either index or leaf_hash."))
    # Judge what can be judged without the log's size first: the default size comes from
    # the latest checkpoint, which signs a grown head, and a refused request signs nothing.
    index = params.index
    if params.leaf_hash is not None:
        index = log.index_of_leaf(_parse_hash(params.leaf_hash, "leaf_hash"))
        if index is None:
            raise _invalid("leaf_hash", _("No entry has this leaf hash."))
    tree_size = params.tree_size or _default_size()
    try:
        proof = log.inclusion(index, tree_size)
    except log.DamagedLog:
        raise  # answered 503 (sinergi.api): nothing the request can change
    except log.LedgerError as exc:
        field = exc.field or "tree_size"
        if field == "index" and params.index is None:
            field = "leaf_hash"  # the entry it names is not in a tree of that size
        message = str(exc)
        if params.tree_size is None and field in ("index", "leaf_hash"):
            # The size was not given: say what it was, not "smaller than tree_size".
            message = _(
                "The entry must be in the latest checkpoint: its index smaller than "
                "%(size)d, that checkpoint's size."
            ) % {"size": tree_size}
        error = _invalid(field, message)
        if params.tree_size is None and index < log.current_head().size:
            raise RetryLater(error) from exc  # appended; signed within a second
        raise error from exc
    return {
        "index": proof.index,
        "tree_size": proof.tree_size,
        "leaf_hash": log.b64(proof.leaf_hash),
        "root": log.b64(proof.root),
        "hashes": [log.b64(h) for h in proof.hashes],
    }


@router.get("/proof/consistency", response=ConsistencyOut, summary="RFC 9162 consistency proof")
def consistency_proof(request: HttpRequest, params: Query[ConsistencyQuery]) -> dict:
    try:
        proof = log.consistency(params.first, params.second)
    except log.DamagedLog:
        raise  # answered 503 (sinergi.api): nothing the request can change
    except log.LedgerError as exc:
        raise _invalid(exc.field or "second", str(exc)) from exc
    return {
        "first": proof.first,
        "second": proof.second,
        "first_root": log.b64(proof.first_root),
        "second_root": log.b64(proof.second_root),
        "hashes": [log.b64(h) for h in proof.hashes],
    }


@router.get("/checkpoints", response=list[CheckpointOut], summary="Every checkpoint issued")
@paginate(Pagination)
def list_checkpoints(request: HttpRequest) -> Any:
    return queries.checkpoints_with_cosignatures()


@router.post("/cosignatures", response={201: CosignatureOut}, summary="A witness's cosignature")
def post_cosignature(request: HttpRequest, payload: CosignatureIn) -> Any:
    try:
        cosignature = checkpoints.record_cosignature(payload.checkpoint, payload.cosignature)
    except checkpoints.CosignatureError as exc:
        raise _invalid(exc.field, str(exc)) from exc
    return Status(
        201,
        {
            "witness": cosignature.witness.name,
            "size": cosignature.checkpoint.size,
            "timestamp": cosignature.timestamp,
        },
    )


@router.get(
    "/entries/{index}/receipt",
    summary="A receipt for one entry (C2SP tlog-proof)",
    response={200: str},
)
def receipt(request: HttpRequest, index: PathId) -> HttpResponse:
    if index < 0:
        raise _invalid("index", _("Must be at least 0."))
    latest = checkpoints.latest_checkpoint()
    if latest is None or not index < latest.size:
        error = _invalid("index", _("No checkpoint covers this index yet."))
        if index < log.current_head().size:  # appended; signed within a second
            raise RetryLater(error)
        raise error
    text = queries.receipt_text(index, latest)
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="sinergi-entry-{index}.tlog-proof"'
    return response
