"""The partnership's change form in the Django admin, with its partner and member inlines:
every inline row added, changed or deleted goes on the ledger with the change, in the
same transaction (`LedgeredAdmin.save_formset`)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db.models.signals import pre_save
from django.forms import Form
from django.test import Client
from django.urls import reverse

from sinergi.ledger import kinds, log
from sinergi.ledger.models import Entry, Node
from sinergi.partnerships.models import Membership, Participation
from tests.conftest import client_for
from tests.factories import (
    OrganisationFactory,
    PersonFactory,
)
from tests.partnerships.conftest import private_partnership

pytestmark = pytest.mark.django_db


def _form_data(form: Form) -> dict[str, Any]:
    """What a browser would post for `form` as the admin rendered it, unchanged."""
    data: dict[str, Any] = {}
    for field in form:
        value = field.value()
        if value is None or value is False:
            continue
        if value is True:
            value = "on"
        elif isinstance(value, list | tuple):
            value = [str(item) for item in value]
        else:
            value = str(value)
        data[field.html_name] = value
        if field.field.show_hidden_initial:  # a field with a callable default
            data[field.html_initial_name] = value
    return data


def _change_form(admin: Client, url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The change form's data as rendered, and its inline formsets by model name."""
    response = admin.get(url)
    assert response.status_code == 200
    data = _form_data(response.context["adminform"].form)
    formsets = {}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data |= _form_data(formset.management_form)
        for form in formset.forms:
            data |= _form_data(form)
        formsets[formset.model._meta.model_name] = formset
    data["_save"] = "Save"
    return data, formsets


def _row(formset: Any, **match: Any) -> str:
    """The prefix of the formset's form whose instance has the given attributes."""
    for form in formset.forms:
        if all(getattr(form.instance, name) == value for name, value in match.items()):
            return form.prefix
    raise AssertionError(f"no row with {match}")


@pytest.fixture
def setting() -> dict[str, Any]:
    found = private_partnership()
    partnership, observer, unicef = found["partnership"], found["observer"], found["unicef"]
    admin = client_for(PersonFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:partnerships_partnership_change", args=[partnership.pk])
    data, formsets = _change_form(admin, url)
    member = _row(formsets["membership"], person_id=observer.pk)
    partner = _row(formsets["participation"], organisation_id=unicef.pk)
    # One member's role changed, one partner removed, one partner added in the blank row.
    wwf = OrganisationFactory(name="WWF Indonesia", acronym="WWF")
    participations = formsets["participation"]
    new = f"{participations.prefix}-{participations.total_form_count()}"
    data |= {
        f"{member}-role": "member",
        f"{partner}-DELETE": "on",
        f"{participations.prefix}-TOTAL_FORMS": str(participations.total_form_count() + 1),
        f"{new}-organisation": str(wwf.pk),
        f"{new}-role": "2",
        f"{new}-partnership": str(partnership.pk),
    }
    return {
        "partnership": partnership,
        "admin": admin,
        "url": url,
        "data": data,
        "observer": observer,
        "unicef": unicef,
        "wwf": wwf,
    }


def test_inline_rows_added_changed_and_deleted_go_on_the_ledger(setting) -> None:
    partnership = setting["partnership"]
    before = Entry.objects.count()
    response = setting["admin"].post(setting["url"], setting["data"])
    assert response.status_code == 302, response.content[:2000]

    role = Membership.objects.get(partnership=partnership, person=setting["observer"]).role
    partners = set(
        Participation.objects.filter(partnership=partnership).values_list(
            "organisation__acronym", "role"
        )
    )
    assert role == "member"
    assert partners == {("WWF", "2")}
    logged = [
        (entry.kind, entry.partnership_ref, json.loads(bytes(entry.body))["payload"])
        for entry in Entry.objects.filter(index__gte=before).order_by("index")
    ]
    by_kind = {(kind, payload["model"]): (ref, payload) for kind, ref, payload in logged}
    assert len(logged) == 3
    changed_ref, changed = by_kind[("admin.changed", "membership")]
    added_ref, added = by_kind[("admin.added", "participation")]
    deleted_ref, deleted = by_kind[("admin.deleted", "participation")]
    assert changed_ref == added_ref == deleted_ref == partnership.pk
    assert changed["fields"] == ["role"]
    assert "WWF" in added["name"] and "UNICEF" in deleted["name"]
    assert all(kinds.label(kind) != kind for kind, _ref, _payload in logged)  # in words


def test_an_inline_save_that_fails_keeps_neither_the_rows_nor_their_entries(setting) -> None:
    # The partners' inline saves first and appends its two entries; the members' inline
    # then fails: the partners' rows and their entries must go with it.
    partnership = setting["partnership"]
    before = (Entry.objects.count(), Node.objects.count(), log.current_head())

    def refuse(**_kwargs: object) -> None:
        raise RuntimeError("disk full")

    pre_save.connect(refuse, sender=Membership)
    try:
        with pytest.raises(RuntimeError):
            setting["admin"].post(setting["url"], setting["data"])
    finally:
        pre_save.disconnect(refuse, sender=Membership)
    role = Membership.objects.get(partnership=partnership, person=setting["observer"]).role
    organisations = set(
        Participation.objects.filter(partnership=partnership).values_list(
            "organisation_id", flat=True
        )
    )
    assert role == "observer"
    assert organisations == {setting["unicef"].pk}
    assert (Entry.objects.count(), Node.objects.count(), log.current_head()) == before
