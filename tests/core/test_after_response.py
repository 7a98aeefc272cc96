"""Work deferred until after the response: run when the response closes, in order; at once
outside a request; a failure is logged, and neither the response nor later work suffers."""

from __future__ import annotations

import logging

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from sinergi.core import after_response
from sinergi.core.after_response import AfterResponseMiddleware


def test_outside_a_request_the_work_runs_at_once():
    done: list[str] = []

    after_response.defer(lambda: done.append("now"))

    assert done == ["now"]


@pytest.mark.django_db  # closing a response sends request_finished, which checks connections
def test_in_a_request_the_work_waits_for_the_response_to_close(caplog):
    done: list[str] = []

    def view(request):
        after_response.defer(lambda: done.append("first"))
        after_response.defer(lambda: 1 / 0)
        after_response.defer(lambda: done.append("last"))
        done.append("view")
        return HttpResponse("ok")

    response = AfterResponseMiddleware(view)(RequestFactory().get("/"))

    assert done == ["view"] and response.content == b"ok"
    with caplog.at_level(logging.ERROR, logger="sinergi.core.after_response"):
        response.close()
    assert done == ["view", "first", "last"]
    assert "ZeroDivisionError" in caplog.text
    after_response.defer(lambda: done.append("outside again"))
    assert done[-1] == "outside again"  # the request's queue is gone
