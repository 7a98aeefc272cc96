"""Test settings: the real settings, with plain static storage and a fast password hasher.

The database is whatever DATABASE_URL says (SQLite by default, PostgreSQL in CI).
"""

import atexit
import os
import shutil
import tempfile

os.environ.setdefault("SINERGI_DATA_DIR", os.path.join(tempfile.gettempdir(), "sinergi-test"))

from sinergi.settings import *  # noqa: F403
from sinergi.settings import PASSWORD_HASHERS as PRODUCTION_HASHERS

# Argon2 stays available (and is asserted as the production default in tests); hashing
# every factory-made user with it would only slow the suite down.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PRODUCTION_HASHERS]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Work deferred until after a response runs in its close(), so the test client sees it done
# (production hands it to a worker thread; tests/access/test_reset_mail_after_response.py).
AFTER_RESPONSE_IN_THREAD = False
# Sign a checkpoint on every append or read that finds the head grown, so that tests see
# each change covered at once; tests/ledger/test_batching.py runs with the real interval.
SINERGI_LEDGER_CHECKPOINT_INTERVAL = 0.0
STATIC_ROOT = os.path.join(os.environ["SINERGI_DATA_DIR"], "static")
os.makedirs(STATIC_ROOT, exist_ok=True)

# The kept pages of this test run only: two runs on one machine (say SQLite here and
# PostgreSQL in another clone) reuse primary keys and ledger indices, so a shared
# directory could hand one run a page the other computed.
_PAGES_DIR = tempfile.mkdtemp(prefix="sinergi-test-pages-")
atexit.register(shutil.rmtree, _PAGES_DIR, ignore_errors=True)
CACHES = {
    **CACHES,  # noqa: F405
    "pages": {**CACHES["pages"], "LOCATION": _PAGES_DIR},  # noqa: F405
}
