"""The home page, what is waiting for the reader, the health check, the icon's old address,
the 403 page and the language switch."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import Resolver404, resolve, reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET
from django.views.i18n import set_language as django_set_language

from sinergi.access import policy
from sinergi.core.waiting import waiting_for
from sinergi.partnerships.models import Partnership
from sinergi.partnerships.queries import with_counts


def home(request: HttpRequest) -> HttpResponse:
    visible = policy.visible_partnerships(request.user)
    mine: list[Partnership] = []
    roles = policy.roles_of(request.user)
    if roles:
        mine = list(with_counts(Partnership.objects.filter(pk__in=roles)).order_by("title"))
    public = with_counts(visible.filter(visibility="public")).order_by("-updated_at")[:6]
    return render(
        request,
        "core/home.html",
        {"mine": mine, "public": public, "roles": roles, "visible_count": visible.count()},
    )


@require_GET
@login_required
def waiting(request: HttpRequest) -> HttpResponse:
    """GET /waiting/: confirmations, signatures, approvals, reviews and reports waiting for
    the reader, by partnership. The home page loads the list alone (an HTMX request) after
    the page, so that the page itself stays as quick as before."""
    items = waiting_for(request.user)
    groups: dict[int, dict] = {}
    for item in items:
        partnership = item.partnership
        group = groups.setdefault(partnership.pk, {"partnership": partnership, "items": []})
        group["items"].append(item)
        # A partnership that only asks the reader's organisation to confirm may be a
        # private one they cannot open: its title, but no link.
        group["linked"] = policy.can(request.user, policy.Action.VIEW, partnership)
    context = {"groups": list(groups.values()), "count": len(items)}
    if request.htmx:  # the home page's panel, under its h2
        return render(request, "core/includes/waiting_list.html", {**context, "level": 3})
    return render(request, "core/waiting.html", {**context, "level": 2})


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers; also the baseline view in the load benchmarks."""
    return JsonResponse({"status": "ok"})


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """The 403 page, with a way on: back to the partnership whose page was refused (the
    reader can see it, or they would have had a 404), else home. Someone signed out is
    sent to sign in first, and back here after (a reminder's link to a value form)."""
    if not request.user.is_authenticated and request.method in ("GET", "HEAD"):
        return redirect_to_login(request.get_full_path())
    back = role = None
    try:
        match = resolve(request.path_info)
    except Resolver404:
        match = None
    slug = match.kwargs.get("slug") if match is not None else None
    if slug and "/partnerships/" in request.path_info:
        back = reverse("partnership-detail", args=[slug])
        # The reader's role in it, to say why: they could see the partnership (or they
        # would have had a 404), so naming their own role tells them nothing new.
        partnership = Partnership.objects.filter(slug=slug).only("pk").first()
        if partnership is not None:
            role = policy.role_in(request.user, partnership)
    # The services' refusals say what was refused ("You cannot decide on an expenditure
    # you recorded."); Django's own carry no message.
    reason = str(exception) if exception is not None else ""
    return render(
        request,
        "403.html",
        {"back": back, "reason": reason, "role": role, "in_partnership": back is not None},
        status=403,
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """The page for a form sent with an out-of-date security token (CSRF_FAILURE_VIEW):
    the reader signed out and in again in another tab, or the form stood open across a
    new session. Said as such, in the site's layout, with a way back to the form's page
    to send it again; an HTMX request is told the same in the page's alert region
    (`X-Sinergi-Refused: expired`)."""
    from django.middleware.csrf import REASON_NO_CSRF_COOKIE

    back = request.headers.get("Referer", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    # Django's reason, in three kinds: the browser sent no cookie; the form came from
    # another address (Origin or Referer: a proxy that rewrites the host, say); or the
    # token is out of date or missing (the usual case, said as the page's own).
    if reason == REASON_NO_CSRF_COOKIE:
        cause = "cookie"
    elif reason.startswith(("Origin checking failed", "Referer checking failed")):
        cause = "origin"
    else:
        cause = "expired"
    response = render(request, "403_csrf.html", {"back": back, "cause": cause}, status=403)
    response["X-Sinergi-Refused"] = "expired" if cause == "expired" else "refused"
    return response


def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, reading the page to return to in that page's own language.

    Django translates `next` (/id/…) under the language of the request, which for this
    address outside the language prefixes comes from the cookie or the browser: an
    English browser on an Indonesian page could not resolve /id/…, and the switch to
    English landed on the same Indonesian page."""
    next_url = request.POST.get("next", request.GET.get("next")) or ""
    page_language = translation.get_language_from_path(urlsplit(next_url).path)
    with translation.override(page_language or translation.get_language()):
        return django_set_language(request)


def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico: a permanent redirect to the site's icon among the static files."""
    return HttpResponsePermanentRedirect(static("sinergi/favicon.svg"))
