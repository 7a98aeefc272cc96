"""The raw-SQL session store and person loader behave as Django's own: expired sessions
and inactive or deleted people are not signed in, and the loaded person equals the ORM's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from sinergi.access.backends import ModelBackend
from sinergi.access.sessions import SessionStore
from tests.conftest import client_for
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_the_session_loads_as_djangos_does():
    store = SessionStore()
    store["answer"] = {"nested": [1, "dua"]}
    store.save()
    assert SessionStore(store.session_key).load() == DjangoSessionStore(store.session_key).load()
    assert SessionStore(store.session_key).load() == {"answer": {"nested": [1, "dua"]}}


def test_an_expired_or_unknown_session_is_empty():
    store = SessionStore()
    store["x"] = 1
    store.save()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    expired = SessionStore(store.session_key)
    assert expired.load() == {}
    assert expired.session_key is None  # a new key will be issued, as Django does
    assert SessionStore("no-such-session-key-at-all").load() == {}


def test_the_person_loads_as_the_orm_does():
    person = PersonFactory()
    loaded = ModelBackend().get_user(str(person.pk))
    fresh = get_user_model().objects.get(pk=person.pk)
    assert loaded == fresh
    for field in get_user_model()._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(fresh, field.attname), field.name


@pytest.mark.parametrize("user_id", ["not-a-number", "", "999999999"])
def test_no_person_for_a_bad_or_unknown_id(user_id):
    assert ModelBackend().get_user(user_id) is None


def test_inactive_or_deleted_people_are_signed_out():
    person = PersonFactory()
    client = client_for(person)
    assert f">{person}</a>" in client.get("/en/partnerships/").content.decode()
    person.is_active = False
    person.save()
    assert f">{person}</a>" not in client.get("/en/partnerships/").content.decode()
    other = PersonFactory()
    client = client_for(other)
    other.delete()
    page = client.get("/en/partnerships/").content.decode()
    assert "Sign in" in page


def test_a_password_change_signs_out_other_sessions():
    person = PersonFactory()
    client = client_for(person)
    person.set_password("another-long-passphrase-2026")
    person.save()
    assert f">{person}</a>" not in client.get("/en/partnerships/").content.decode()


def test_sessions_signed_in_through_djangos_backend_are_moved_over():
    from sinergi.access.sessions_migration import DJANGO, SINERGI, rename_backend

    person, other = PersonFactory(), PersonFactory()
    old = client_for(None)
    old.force_login(person, backend=DJANGO)
    new = client_for(other)
    # Before the move, Django signs the old session out: its backend is not configured.
    assert f">{person}</a>" not in old.get("/en/partnerships/").content.decode()
    old.force_login(person, backend=DJANGO)
    assert rename_backend(Session, DJANGO, SINERGI) == 1
    assert f">{person}</a>" in old.get("/en/partnerships/").content.decode()
    assert f">{other}</a>" in new.get("/en/partnerships/").content.decode()
    assert rename_backend(Session, DJANGO, SINERGI) == 0
