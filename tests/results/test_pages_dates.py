"""A period's due date on the framework page reads as every other date on the platform's
pages (tests/core/test_date_style.py), in Indonesian too."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from tests.conftest import client_for


@pytest.mark.django_db
def test_the_framework_page_in_indonesian_writes_due_dates_as_the_partnership_page(monitored):
    m = monitored
    period = m.q1
    with translation.override("id"):
        url = reverse("results-framework", kwargs={"slug": m.partnership.slug})
        expected = Template('{{ d|date:"j M Y" }}').render(Context({"d": period.due}))
    page = client_for(m.coordinator).get(url, HTTP_ACCEPT_LANGUAGE="id").content.decode()
    assert f"<td>{expected}</td>" in page
    assert "." not in expected
