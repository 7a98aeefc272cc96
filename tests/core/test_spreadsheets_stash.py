"""Uploads kept for a preview are cleared once they are older than their limit."""

from __future__ import annotations

from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from sinergi.core.spreadsheets import prune_stash


def test_given_a_fresh_and_an_expired_upload_then_only_the_expired_one_goes():
    kept = default_storage.save("stash-test/1/fresh", ContentFile(b"fresh"))
    prune_stash("stash-test/1", timedelta(days=1))
    assert default_storage.exists(kept)
    # An age limit in the past makes every file in the folder expired.
    prune_stash("stash-test/1", timedelta(seconds=-1))
    assert not default_storage.exists(kept)


def test_given_no_folder_then_nothing_happens():
    prune_stash("stash-test/none", timedelta(days=1))
