"""A partnership's page asked for by its short name in another letter case is sent to
the short name as stored."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.urls import NoReverseMatch, reverse

from sinergi.access.policy import PartnershipElsewhere


class PartnershipElsewhereMiddleware:
    """Answer a page read (GET, and HEAD as GET) that `policy.get_partnership_for` found
    under another letter case with a permanent redirect to the same page under the stored
    short name, query string kept. Anything else, a form's post among them, stays the 404
    it is: a post is not sent again by a redirect. The API catches its 404s itself."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, PartnershipElsewhere):
            return None
        if request.method != "GET":
            return None
        match = request.resolver_match
        if match is None or match.kwargs.get("slug") != exception.asked:
            return None
        try:
            address = reverse(
                match.view_name, args=match.args, kwargs={**match.kwargs, "slug": exception.slug}
            )
        except NoReverseMatch:
            return None
        query = request.META.get("QUERY_STRING", "")
        return HttpResponsePermanentRedirect(f"{address}?{query}" if query else address)
