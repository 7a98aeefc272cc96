"""Forms that create something are saved once, however often they are sent.

A form shown to create a transaction, a pledge or a budget line carries a one-time key
in a hidden field (`OnceForm`). The view saves through `save_once`: the key, with a
digest of what was entered, is recorded (`FormSubmission`) in the same database
transaction as what the form creates, so a second post of the same form with the same
values (a double click, a browser's retry after a timeout, a resubmission from history)
finds it and is sent to what the first one made, with nothing created twice and nothing
logged twice; the same form sent with other values (a page restored by Back, changed) is
a new entry. Two posts at the same moment meet on the key's unique index: the database
lets one through. A post without a key (a hand-made request) is saved as before; the
JSON API does not use forms.

Keys are kept for `KEEP_KEYS_FOR` (a week): each new key recorded prunes those older,
after its transaction commits, so the table holds about a week of forms and no
scheduled job is needed. The same form sent again after that is saved as new.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from sinergi.core.forms import apply_domain_errors
from sinergi.core.models import FormSubmission

T = TypeVar("T")
FIELD = "once"
# How long a form's key is kept: longer than any double click, retry or page restored by
# Back is sent again.
KEEP_KEYS_FOR = timedelta(days=7)


class AlreadySaved(Exception):
    """This person's form with this key was saved before: `location` shows what it made."""

    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


class _Refused(Exception):
    """The save was refused (its errors are on the form): the key is not kept."""


class OnceForm(forms.Form):
    """A form with a one-time key, new each time the form is shown empty; a form shown
    again with its errors keeps the key it was sent with."""

    once = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial[FIELD] = secrets.token_urlsafe(24)

    def entered(self) -> dict[str, Any]:
        """The cleaned data without the key: what the person entered."""
        return {name: value for name, value in self.cleaned_data.items() if name != FIELD}


def save_once(
    form: forms.Form, person: Any, save: Callable[[], T | None], location: Callable[[T], str]
) -> T | None:
    """`save()` (which returns None when it refused, with the reasons on the form), once
    per key of `form` and `person`; raises AlreadySaved when it was done before."""
    sent = (form.cleaned_data.get(FIELD) or "").strip()
    if not sent:
        return save()
    key = hashlib.sha256(f"{person.pk}:{sent}:{_entered_digest(form)}".encode()).hexdigest()
    _raise_if_saved(key)
    try:
        with transaction.atomic():
            receipt = FormSubmission.objects.create(key=key, location="")
            result = save()
            if result is None:
                raise _Refused
            receipt.location = location(result)
            receipt.save(update_fields=["location"])
            # After the commit, and never undoing it: a failed pruning is only logged.
            transaction.on_commit(prune_form_keys, robust=True)
    except _Refused:
        return None
    except IntegrityError:
        _raise_if_saved(key)  # the same form, saved meanwhile by a post sent with this one
        raise
    return result


def prune_form_keys(now: datetime | None = None) -> int:
    """Delete the forms' one-time keys older than `KEEP_KEYS_FOR`; returns how many.
    One DELETE over the index on `created_at`."""
    cutoff = (now or timezone.now()) - KEEP_KEYS_FOR
    deleted, _by_model = FormSubmission.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def saved_once(
    request: HttpRequest,
    form: forms.Form,
    save: Callable[[], T | None],
    location: Callable[[T], str],
) -> T | HttpResponse | None:
    """`save_once` for a page: the same form sent again answers with a redirect to what
    the first one made (the whole page, for an HTMX request), and says so. A
    ValidationError from `save` (a service's refusal) goes on the form, per field, and
    counts as refused (None): nothing is saved, and the key may be sent again."""

    def attempt() -> T | None:
        try:
            return save()
        except ValidationError as error:
            apply_domain_errors(form, error)
            return None

    try:
        return save_once(form, request.user, attempt, location)
    except AlreadySaved as done:
        messages.info(request, _("This form was sent before and is saved; nothing was added."))
        if getattr(request, "htmx", False):
            return HttpResponseClientRedirect(done.location)
        return redirect(done.location)


def _entered_digest(form: forms.Form) -> str:
    """What the person sent, as a digest: the same form sent with other values (changed
    on a page the browser's Back button restored, key and all) is a new entry, saved."""
    fields = sorted(
        (name, form.data.getlist(name) if hasattr(form.data, "getlist") else [form.data[name]])
        for name in form.data
        if name not in ("csrfmiddlewaretoken", form.add_prefix(FIELD))
    )
    files = sorted((name, upload.name, upload.size) for name, upload in form.files.items())
    return hashlib.sha256(repr((fields, files)).encode()).hexdigest()


def _raise_if_saved(key: str) -> None:
    done = FormSubmission.objects.filter(key=key).values_list("location", flat=True).first()
    if done is not None:
        raise AlreadySaved(done)
