"""Ledger pages: the checkpoint and key as plain text, how to verify, a partnership's log."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from sinergi.access import policy
from sinergi.ledger import checkpoints, kinds, queries, verifier


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


@require_GET
def about(request: HttpRequest) -> HttpResponse:
    latest = checkpoints.latest_checkpoint()
    base = request.build_absolute_uri("/").rstrip("/")
    return render(
        request,
        "ledger/about.html",
        {
            "checkpoint": latest,
            "note": checkpoints.full_note(latest) if latest else "",
            "vkey": checkpoints.verifier_key_or_none() or "VKEY",
            "witnesses": queries.witness_progress(),
            "base": base,
            "tool": verifier.FILENAME,
            "tool_sha256": verifier.tool_sha256(),
            "earlier": queries.earlier_checkpoint_size(latest),
        },
    )


@require_GET
def partnership_ledger(request: HttpRequest, slug: str) -> HttpResponse:
    partnership = policy.get_partnership_for(request.user, slug)
    page = Paginator(queries.partnership_entries(partnership.pk), 50).get_page(
        request.GET.get("page")
    )
    rows = [kinds.row(e, queries.decode(e)) for e in page]
    latest = checkpoints.latest_checkpoint()
    return render(
        request,
        "ledger/partnership_ledger.html",
        {
            "partnership": partnership,
            "page": page,
            "rows": rows,
            "checkpoint": latest,
            "witnesses": queries.witness_progress(),
        },
    )
