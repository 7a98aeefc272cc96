"""The Indonesian catalogue is complete, well-formed, up to date and actually used."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command
from django.template.loader import render_to_string
from django.test import Client, override_settings
from django.utils import translation

LOCALE_DIR = Path(settings.LOCALE_PATHS[0])
SOURCE_DIR = LOCALE_DIR.parent
PO_PATH = LOCALE_DIR / "id" / "LC_MESSAGES" / "django.po"

# %(name)s, %s, %d, %.2f … ("%%" is a literal percent sign, not a placeholder).
PYTHON_FORMAT = re.compile(r"%(?:\([^)]*\))?[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
BRACE_FORMAT = re.compile(r"\{\w*\}")
HTML_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")


def read_catalogue(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale="id")


@pytest.fixture(scope="module")
def catalogue() -> Catalog:
    return read_catalogue(PO_PATH)


def messages(catalogue: Catalog) -> list[Message]:
    """Every message except the header."""
    return [message for message in catalogue if message.id]


def ids(message: Message) -> tuple[str, ...]:
    return message.id if isinstance(message.id, tuple) else (message.id,)


def strings(message: Message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def placeholders(text: str, message: Message) -> list[str]:
    found = BRACE_FORMAT.findall(text)
    if message.python_format:
        found += PYTHON_FORMAT.findall(text.replace("%%", ""))
    return sorted(found)


def test_header_describes_an_indonesian_catalogue(catalogue):
    header = dict(re.findall(r'^"([\w-]+): (.*)\\n"$', PO_PATH.read_text("utf-8"), re.M))
    assert header["Project-Id-Version"] == "Sinergi"
    assert header["Language"] == "id"
    assert catalogue.locale_identifier == "id"
    assert catalogue.language_team == "Sinergi"
    assert catalogue.charset.lower() == "utf-8"
    assert catalogue.plural_forms == "nplurals=1; plural=0;"
    assert not catalogue.fuzzy


def test_every_message_is_translated_and_none_is_fuzzy(catalogue):
    assert len(messages(catalogue)) > 100
    fuzzy = [message.id for message in messages(catalogue) if message.fuzzy]
    untranslated = [message.id for message in messages(catalogue) if not all(strings(message))]
    assert fuzzy == []
    assert untranslated == []


def test_plural_messages_have_exactly_one_form(catalogue):
    for message in messages(catalogue):
        if message.pluralizable:
            assert len([s for s in strings(message) if s]) == 1, message.id


def test_babel_finds_no_format_errors(catalogue):
    errors = [(message.id, [str(e) for e in errs]) for message, errs in catalogue.check()]
    assert errors == []


def test_placeholders_and_markup_survive_translation(catalogue):
    """Indonesian has one plural form, so its msgstr[0] must carry the placeholders of both
    the singular and the plural msgid; every msgstr keeps the HTML tags of its msgid."""
    problems = []
    for message in messages(catalogue):
        wanted = sorted(set().union(*(placeholders(i, message) for i in ids(message))))
        tags = sorted(HTML_TAG.findall(ids(message)[0]))
        for string in strings(message):
            missing = [p for p in wanted if p not in placeholders(string, message)]
            unknown = [p for p in placeholders(string, message) if p not in wanted]
            if missing or unknown:
                problems.append((message.id, string, missing, unknown))
            if sorted(HTML_TAG.findall(string)) != tags:
                problems.append((message.id, string, "HTML tags differ"))
    assert problems == []


GETTEXT_TOOLS = ("xgettext", "msguniq", "msgmerge")


@pytest.mark.skipif(
    not all(shutil.which(tool) for tool in GETTEXT_TOOLS),
    reason="makemessages needs GNU gettext (apt-get install gettext)",
)
def test_committed_catalogue_holds_every_extracted_message(tmp_path, monkeypatch, catalogue):
    """Re-extract from a copy of the sources, as `make messages` does, into a scratch
    locale directory, so the committed .po is never touched."""
    before = PO_PATH.read_bytes()
    copy = tmp_path / "sinergi"
    shutil.copytree(
        SOURCE_DIR,
        copy,
        ignore=shutil.ignore_patterns("locale", "static", "__pycache__", "*.pyc", "*.mo"),
    )
    (copy / "locale").mkdir()
    monkeypatch.chdir(copy)
    with override_settings(LOCALE_PATHS=[copy / "locale"]):
        call_command(
            "makemessages",
            locale=["id"],
            extensions=["html", "txt", "py"],
            no_location=True,
            no_obsolete=True,
            verbosity=0,
        )
    fresh = read_catalogue(copy / "locale" / "id" / "LC_MESSAGES" / "django.po")
    assert PO_PATH.read_bytes() == before

    committed = {(message.id, message.context) for message in messages(catalogue)}
    extracted = {(message.id, message.context) for message in messages(fresh)}
    assert len(extracted) > 100
    # The invitation e-mail is a .txt template; make sure those strings are extracted too.
    assert any("invites you to join" in ids(message)[0] for message in messages(fresh))
    assert sorted(extracted - committed, key=str) == []


@pytest.mark.django_db
def test_indonesian_partnership_list_uses_the_catalogue():
    response = Client().get("/id/partnerships/")
    assert response.status_code == 200
    page = response.content.decode()
    assert '<html lang="id">' in page
    nav = re.search(r"<nav class=\"bar\".*?</nav>", page, re.DOTALL)
    assert nav is not None
    assert "Kemitraan" in nav.group()
    assert "Organisasi" in nav.group()
    assert "Partnerships" not in nav.group()
    assert "<h1>Kemitraan</h1>" in page


@pytest.mark.django_db
def test_indonesian_login_page_says_masuk():
    response = Client().get("/id/accounts/login/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Masuk</h1>" in page
    assert "Sign in" not in page


def test_invitation_email_is_translated():
    invitation = SimpleNamespace(
        organisation="Kementerian Kesehatan",
        partnership="Imunisasi Indonesia",
        get_role_display=lambda: "Anggota",
    )
    context = {"inviter": "Sari", "invitation": invitation, "url": "https://example.org/x"}
    with translation.override("id"):
        body = render_to_string("access/invitation_email.txt", context)
    assert "Sari mengundang Anda bergabung dengan Kementerian Kesehatan di Sinergi." in body
    assert "“Imunisasi Indonesia” sebagai Anggota." in body
    assert "invites you" not in body


def test_csv_module_errors_are_told_in_the_reader_s_language():
    import csv
    import io

    from django.utils import translation

    from sinergi.core.spreadsheets import csv_unreadable

    try:
        list(csv.reader(io.StringIO("a,b\nc," + "x" * 200_000 + "\n")))
    except csv.Error as error:
        with translation.override("id"):
            message = csv_unreadable(error, 2)
    assert "field limit" not in message and "baris 2" in message
