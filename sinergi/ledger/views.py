"""Ledger pages: the checkpoint and key as plain text, how to verify, a partnership's log."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode

from django.contrib.auth.models import AnonymousUser
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from sinergi.access import policy
from sinergi.ledger import checkpoints, kinds, queries, verifier
from sinergi.ledger.forms import EntryForm
from sinergi.ledger.models import Checkpoint, Witness


def _text(body: str, status: int = 200) -> HttpResponse:
    response = HttpResponse(body, content_type="text/plain; charset=utf-8", status=status)
    response["Cache-Control"] = "no-cache"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def checkpoint_text(request: HttpRequest) -> HttpResponse:
    """GET /ledger/checkpoint: the latest signed checkpoint with its cosignatures."""
    latest = checkpoints.latest_checkpoint()
    if latest is None:
        return _text("the log is empty\n", status=404)
    return _text(checkpoints.full_note(latest))


@require_GET
def vkey_text(request: HttpRequest) -> HttpResponse:
    """GET /ledger/vkey: the log's verifier key, name+keyid+base64."""
    vkey = checkpoints.verifier_key_or_none()
    if vkey is None:
        return _text("the log's signing key cannot be used; its operators are told\n", 503)
    return _text(vkey + "\n")


@require_GET
def tool(request: HttpRequest) -> HttpResponse:
    """GET /ledger/sinergi-ledger.pyz: the offline verifier and witness as one file."""
    response = HttpResponse(verifier.build_tool(), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{verifier.FILENAME}"'
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _hidden_from_the_public(index: int) -> bool:
    """Whether the entries API gives entry `index` to an anonymous reader without its
    bytes (a private partnership's entry): then its commands must send a member's token."""
    items = queries.entries_for(AnonymousUser(), index, index + 1)
    return bool(items) and "body" not in items[0]


@require_GET
def about(request: HttpRequest) -> HttpResponse:
    """GET /ledger/: how to verify an entry (?index=N, the first by default) and the log,
    with the commands written out for this site, its key, checkpoint and witnesses."""
    latest = checkpoints.latest_checkpoint()
    size = latest.size if latest else 0
    form = EntryForm(request.GET if "index" in request.GET else None, size=size)
    index = form.entry_index()
    base = request.build_absolute_uri("/").rstrip("/")
    api = f"{base}/api/v1/ledger"
    earlier = queries.earlier_checkpoint_size(latest)
    witnesses = queries.witness_progress()
    # The example demands the witness that cosigned the most: the likeliest to pass.
    example = max(witnesses, key=lambda w: w.largest or 0, default=None)
    user = request.user
    organisation = getattr(user, "organisation", None) if user.is_authenticated else None
    return render(
        request,
        "ledger/about.html",
        {
            "form": form,
            "index": index,
            "private": size > 0 and _hidden_from_the_public(index),
            "checkpoint": latest,
            "note": checkpoints.full_note(latest) if latest else "",
            "vkey": checkpoints.verifier_key_or_none() or "VKEY",
            "witnesses": witnesses,
            "example_witness": example,
            "organisation_slug": organisation.slug if organisation else "SLUG",
            "base": base,
            "tool": verifier.FILENAME,
            "tool_sha256": verifier.tool_sha256(),
            "earlier": earlier,
            "urls": {
                "checkpoint": f"{base}/ledger/checkpoint",
                "vkey": f"{base}/ledger/vkey",
                "tool": f"{base}/ledger/{verifier.FILENAME}",
                "entry": f"{api}/entries?start={index}&end={index + 1}",
                # Pinned to the checkpoint shown: on a live log the latest one may be newer.
                "inclusion": f"{api}/proof/inclusion?index={index}"
                + (f"&tree_size={size}" if size else ""),
                "receipt": f"{api}/entries/{index}/receipt",
                "consistency": f"{api}/proof/consistency?first={earlier or 1}&second={size or 1}",
            },
            "hidden_body_message": _(
                "FAIL: the log gave no bytes for entry %(index)s: they are given only to the "
                "members of its private partnership. Set SINERGI_TOKEN to the API token of a "
                "member and send it with the header the verification page shows."
            )
            % {"index": index},
        },
    )


@require_GET
def partnership_ledger(request: HttpRequest, slug: str) -> HttpResponse:
    partnership = policy.get_partnership_for(request.user, slug)
    area = request.GET.get("area")
    area = area if area in kinds.AREAS else None  # anything else: every entry
    page = Paginator(queries.partnership_entries(partnership.pk, area), 50).get_page(
        request.GET.get("page")
    )
    entries = list(page)
    bodies = [queries.decode(e) for e in entries]
    refs = queries.page_references(request.user, partnership, bodies)
    rows = [kinds.row(e, body, refs) for e, body in zip(entries, bodies, strict=True)]
    latest = checkpoints.latest_checkpoint()
    return render(
        request,
        "ledger/partnership_ledger.html",
        {
            "partnership": partnership,
            "page": page,
            "rows": rows,
            "checkpoint": latest,
            "witnesses": [_witness_status(w, latest) for w in queries.witness_progress()],
            "areas": kinds.AREAS.items(),
            "area": area,
            "area_name": kinds.AREAS[area] if area else None,
            "query": urlencode({"area": area}) if area else "",
        },
    )


def _moment(stamp: object) -> datetime | None:
    """The aware time of a POSIX timestamp, or None when it names no calendar date (a
    cosignature stored before the log bounded their timestamps)."""
    if not isinstance(stamp, int) or stamp < 0:
        return None
    try:
        return datetime.fromtimestamp(stamp, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _witness_status(witness: Witness, latest: Checkpoint | None) -> Witness:
    """`witness` with `cosigned_at` (when it signed its latest cosignature, as an aware
    time, or None) and `behind` (how many entries the latest checkpoint has beyond the largest
    one it cosigned; 0 when it cosigned the latest)."""
    witness.cosigned_at = _moment(witness.last_timestamp)
    witness.behind = (
        max(latest.size - witness.largest, 0)
        if latest is not None and witness.largest is not None
        else None
    )
    return witness
