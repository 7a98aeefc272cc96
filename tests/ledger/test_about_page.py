"""The public verification page (/en/ledger/, /id/ledger/): its commands, for any entry.

The page's command blocks are what a partner copies into a terminal: they are read here
by id, as a browser copies them (tests/ledger/support.py `page_commands`). They are run
against a live server in tests/ledger/test_tool.py, and copied with the page's buttons in
tests/browser/test_ledger_page.py.
"""

from __future__ import annotations

import html
import io
import itertools
import re
import shlex
import shutil
import subprocess

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation

from sinergi.ledger import checkpoints, notes
from sinergi.ledger.models import Witness
from sinergi.partners.models import Organisation
from sinergi.partnerships import services
from tests.conftest import Cast, client_for
from tests.core.conftest import compiled_translations  # noqa: F401 - the session fixture
from tests.factories import OrganisationFactory, PersonFactory
from tests.ledger import support

pytestmark = pytest.mark.usefixtures("compiled_translations")

TOKEN_HEADER = '-H "Authorization: Bearer $SINERGI_TOKEN"'


@pytest.fixture
def mixed(ledger, private_cast) -> Cast:
    """Entries 0 and 1 belong to no partnership (public); entry 2 is the private
    partnership's; a checkpoint of size 3 covers them."""
    support.append_events(2)
    services.grant_membership(
        actor=private_cast.people["coordinator"],
        partnership=private_cast.partnership,
        person=PersonFactory(organisation=private_cast.people["member"].organisation),
        role="observer",
    )
    checkpoints.issue_checkpoint()
    return private_cast


def about(query: str = "", language: str = "en", client: Client | None = None):
    response = (client or Client()).get(f"/{language}/ledger/{query}")
    assert response.status_code == 200
    return response, response.content.decode()


def argv(command: str) -> list[str]:
    """One command's words as bash reads them (its `\\` line continuations joined)."""
    return shlex.split(command.replace("\\\n", " "))


def test_the_entry_commands_are_for_the_index_asked_for(mixed):
    """Given ?index=1, then every command about one entry is about entry 1: its bytes, its
    inclusion proof, its receipt; none is about entry 0."""
    _response, page = about("?index=1")
    commands = support.page_commands(page)

    assert "'http://testserver/api/v1/ledger/entries?start=1&end=2'" in commands["cmd-entry"]
    assert "proof/inclusion?index=1&tree_size=3'" in commands["cmd-entry"]
    assert "http://testserver/api/v1/ledger/entries/1/receipt" in commands["cmd-receipt"]
    assert "entries?start=1&end=2'" in commands["cmd-receipt"]
    for text in commands.values():
        assert "start=0" not in text and "index=0" not in text and "entries/0/" not in text
    assert 'value="1"' in page  # the form shows the index asked for


def test_without_an_index_the_commands_are_for_the_first_entry(mixed):
    _response, page = about()
    commands = support.page_commands(page)

    assert "entries?start=0&end=1'" in commands["cmd-entry"]
    assert "/api/v1/ledger/entries/0/receipt" in commands["cmd-receipt"]


def test_the_inclusion_proof_is_for_the_checkpoint_the_page_shows(mixed):
    """Given a log that grew after its last checkpoint, then the page shows the new
    checkpoint and pins the inclusion proof to its size: on a live log, a proof without
    tree_size may be for a newer tree than the checkpoint fetched in step 1."""
    support.append_events(2, first=10)

    response, page = about("?index=2")
    shown = response.context["checkpoint"].size

    assert f"\n{shown}\n" in html.unescape(page)
    assert f"proof/inclusion?index=2&tree_size={shown}'" in support.page_commands(page)["cmd-entry"]


@pytest.mark.parametrize("value", ["-1", "abc", "1.5", "1e2", "0x1", "٢", "²", "3", "9" * 40])
@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("en", "Give the index of an entry of this log: a whole number from 0 to 2."),
        ("id", "Berikan indeks sebuah entri log ini: bilangan bulat dari 0 sampai 2."),
    ],
)
def test_a_bad_index_is_answered_on_the_page(mixed, value, language, message):
    """Given an index that is not a decimal number below the log's size (negative, not a
    number, a digit of another script, the size itself, a huge number), then the page
    still answers (200, never a 500), says what to give beside the field, in the page's
    language, and its commands stay those of entry 0."""
    _response, page = about(f"?index={value}", language)
    text = html.unescape(page)

    assert message in text
    assert 'aria-invalid="true"' in page
    assert f'value="{html.escape(value)}"' in page
    assert "<title>Error:" in page or "<title>Kesalahan:" in page
    assert "entries?start=0&end=1'" in support.page_commands(page)["cmd-entry"]


def test_an_empty_log_has_no_entry_to_ask_for(ledger):
    _response, page = about("?index=0")

    assert "The log is empty: it has no entry to check yet." in html.unescape(page)
    assert 'aria-invalid="true"' in page


def test_an_empty_index_is_the_first_entry(mixed):
    _response, page = about("?index=")

    assert 'aria-invalid="true"' not in page
    assert "entries?start=0&end=1'" in support.page_commands(page)["cmd-entry"]


def test_a_private_entry_s_commands_send_a_member_s_token(mixed):
    """Given the index of a private partnership's entry, whose bytes anonymous readers do
    not get, then the page says a member's API token is needed, links the tokens page,
    and the commands that fetch its bytes send the token."""
    _response, page = about("?index=2")
    commands = support.page_commands(page)
    text = html.unescape(page)

    assert TOKEN_HEADER in commands["cmd-entry"]
    assert TOKEN_HEADER in commands["cmd-receipt"]
    assert "Entry 2 belongs to a private partnership" in text
    assert f'href="{reverse("token-list")}"' in page
    assert "SINERGI_TOKEN" in text


def test_a_public_entry_s_commands_send_no_token_and_the_page_says_when_one_is_needed(mixed):
    _response, page = about("?index=1")
    commands = support.page_commands(page)
    text = html.unescape(page)

    assert TOKEN_HEADER not in commands["cmd-entry"] + commands["cmd-receipt"]
    assert TOKEN_HEADER in text  # how to send one, for a private partnership's entry
    assert f'href="{reverse("token-list")}"' in page


@pytest.mark.skipif(shutil.which("bash") is None, reason="the commands are bash")
def test_the_entry_bytes_command_refuses_a_hidden_body_with_a_message(mixed, tmp_path):
    """Given the entries API's answer for a private entry without a token (body null) or
    a refused token (no items), then the command that writes entry.bin fails with a
    message saying a member's token is needed, and writes no file; with the body it
    writes the exact bytes."""
    _response, page = about("?index=2")
    program = support.page_commands(page)["cmd-receipt"].split("| python3 -c ", 1)[1]
    program = program.split("\n  python3 ", 1)[0].split("\npython3 ", 1)[0]
    script = "python3 -c " + program

    def run(answer: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-c", script],
            input=answer,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    for answer in (
        '{"start": 2, "end": 3, "tree_size": 3, "items": [{"index": 2, "body": null}]}',
        '{"detail": "The API token is invalid or revoked."}',
    ):
        done = run(answer)
        assert done.returncode == 1, done.stderr
        assert "Traceback" not in done.stderr
        assert "entry 2" in done.stderr and "SINERGI_TOKEN" in done.stderr
        assert not (tmp_path / "entry.bin").exists()

    done = run('{"items": [{"index": 2, "body": "aGVsbG8="}]}')
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "entry.bin").read_bytes() == b"hello"


def test_the_hidden_body_message_is_in_the_reader_s_language_and_safe_in_the_command(mixed):
    """The message is a Python string inside a single-quoted bash word: whatever the
    translation holds, it cannot end the word."""
    _response, page = about("?index=2", "id")
    receipt = support.page_commands(page)["cmd-receipt"]
    program = receipt.split("python3 -c '", 1)[1].split("'", 1)[0]

    assert "SINERGI_TOKEN" in program
    assert "import base64, json, sys" in program
    compile(program, "<page>", "exec")


def test_the_page_says_how_to_install_cryptography_where_pip_is_refused(ledger):
    """Debian 12 refuses `pip install` outside a virtual environment: the page gives the
    distribution's package, and a virtual environment with its own python3."""
    _response, page = about()
    commands = support.page_commands(page)
    text = html.unescape(page)

    assert commands["cmd-install-apt"] == "sudo apt install python3-cryptography"
    assert argv(commands["cmd-install-venv"]) == (
        ["python3", "-m", "venv", "v", "&&", "v/bin/pip", "install", "cryptography"]
    )
    assert "v/bin/python3" in text
    assert "(pip install cryptography)" not in text


def test_the_whole_log_is_checked_from_this_site_and_a_bundle_offline(mixed):
    """Given the page, then verifying the whole log is the tool's `log` command on this
    site's address with the log's key; an auditor's export is the offline alternative."""
    _response, page = about()
    commands = support.page_commands(page)
    vkey = checkpoints.verifier_key()

    assert argv(commands["cmd-log"]) == [
        "python3",
        "sinergi-ledger.pyz",
        "log",
        "http://testserver",
        "--vkey",
        vkey,
        "--state",
        "sinergi-log",
    ]
    assert argv(commands["cmd-bundle"]) == [
        "python3",
        "sinergi-ledger.pyz",
        "bundle",
        "ledger.json",
        "--vkey",
        vkey,
    ]
    assert "--token" in html.unescape(page)
    assert "from an export the platform's operator makes" not in html.unescape(page)


def test_each_witness_is_listed_with_its_key_and_one_is_demanded_in_an_example(mixed):
    """Given registered witnesses, then the page lists each one's verifier key, and the
    receipt and whole-log steps each give a full command demanding the cosignature of the
    witness that cosigned the most."""
    first = notes.generate_signer("witness.ugm.example/sinergi", notes.ALG_COSIGNATURE_V1)
    second = notes.generate_signer("witness.wwf.example/sinergi", notes.ALG_COSIGNATURE_V1)
    Witness.objects.create(name="witness.ugm.example/sinergi", vkey=first.vkey())
    Witness.objects.create(name="witness.wwf.example/sinergi", vkey=second.vkey())
    _response, page = about()
    commands = support.page_commands(page)
    vkey = checkpoints.verifier_key()

    listed = page.split('id="witnesses"', 1)[1]
    assert first.vkey() in html.unescape(listed) and second.vkey() in html.unescape(listed)
    assert argv(commands["cmd-receipt-witness"]) == [
        "python3",
        "sinergi-ledger.pyz",
        "receipt",
        "entry.tlog-proof",
        "--vkey",
        vkey,
        "--entry",
        "entry.bin",
        "--witness",
        first.vkey(),
    ]
    assert argv(commands["cmd-log-witness"]) == [
        "python3",
        "sinergi-ledger.pyz",
        "log",
        "http://testserver",
        "--vkey",
        vkey,
        "--witness",
        first.vkey(),
    ]


def test_without_witnesses_there_is_no_witness_example(mixed):
    _response, page = about()
    commands = support.page_commands(page)

    assert "cmd-receipt-witness" not in commands and "cmd-log-witness" not in commands
    assert "No partner runs a witness yet." in page


def test_a_key_is_quoted_so_the_shell_takes_it_as_it_is(mixed):
    """A witness's name is any text without spaces or "+": a registered key holding shell
    syntax reaches the command as one word, never run."""
    signer = notes.generate_signer("witness.example/$(touch${IFS}x)`id`", notes.ALG_COSIGNATURE_V1)
    Witness.objects.create(name=signer.name, vkey=signer.vkey())
    _response, page = about()

    assert argv(support.page_commands(page)["cmd-log-witness"])[-1] == signer.vkey()


def test_the_register_line_gives_the_organisation(ledger, monkeypatch):
    """Given the line staff run to register a new witness, then it names the organisation
    (`--organisation SLUG`, as `sinergi ledger add-witness --help` has it); run with a
    witness's key and an organisation's slug, it registers the witness for that
    organisation."""
    _response, page = about()
    line = support.page_commands(page)["cmd-register"]
    words = argv(line)
    organisation = OrganisationFactory(slug="ugm")
    key = notes.generate_signer("witness.ugm.example/sinergi", notes.ALG_COSIGNATURE_V1).vkey()

    assert words[:3] == ["sinergi", "ledger", "add-witness"]
    assert "--organisation" in words
    filled = [key if w == "WITNESS_VKEY" else "ugm" if w == "SLUG" else w for w in words]
    call_command(*filled[1:], stdout=io.StringIO())
    assert Witness.objects.get(vkey=key).organisation == organisation


def test_the_register_line_gives_a_signed_in_reader_s_own_organisation(mixed):
    member = mixed.people["member"]
    _response, page = about(client=client_for(member))
    words = argv(support.page_commands(page)["cmd-register"])

    assert words[-2:] == ["--organisation", member.organisation.slug]
    assert Organisation.objects.filter(slug=words[-1]).exists()


@pytest.mark.skipif(shutil.which("bash") is None, reason="the commands are bash")
@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("query", ["", "?index=2", "?index=nope"])
def test_every_command_block_is_bash_and_its_lines_are_short(mixed, language, query):
    """Each block parses in `bash -n`; a long command is broken with `\\` continuations
    (nothing after the backslash, the next line indented), so that a line wider than
    40 characters holds one long word (a URL, a key, which the page wraps) and at most
    a short option or program name beside it."""
    Witness.objects.create(
        name="witness.ugm.example/sinergi",
        vkey=notes.generate_signer("witness.ugm.example/sinergi", notes.ALG_COSIGNATURE_V1).vkey(),
    )
    _response, page = about(query, language)
    commands = support.page_commands(page)

    assert len(commands) >= 12
    for name, text in commands.items():
        done = subprocess.run(["bash", "-n", "-c", text], capture_output=True, text=True)
        assert done.returncode == 0, (name, done.stderr)
        lines = text.split("\n")
        assert all(line == line.rstrip() for line in lines), name
        for previous, line in itertools.pairwise(lines):
            if previous.endswith("\\"):
                assert line.startswith("  "), (name, line)
        in_program = False
        for line in lines:
            if line.count("'") % 2:
                in_program = not in_program
                continue
            line = line.removesuffix(" \\")
            if in_program or len(line) <= 40:
                continue
            words = sorted(shlex.split(line), key=len)
            assert len(" ".join(words[:-1])) <= 12, (name, line)


def test_every_command_block_has_a_copy_button_after_the_script_loads(mixed):
    """The copy buttons come from site.js (the CSP allows no inline script): each block is
    marked for it, and the page gives the script its words in the page's language."""
    for language, copy, copied in (("en", "Copy", "Copied"), ("id", "Salin", "Tersalin")):
        _response, page = about(language=language)
        blocks = re.findall(r'<pre class="command" id="[^"]+" data-copy>', page)
        assert len(blocks) == len(support.page_commands(page))
        assert f'data-copy-label="{copy}"' in page
        assert f'data-copied="{copied}"' in page
        assert "onclick" not in page and "<script>" not in page


def test_the_indonesian_page_is_in_indonesian_with_the_same_commands(mixed):
    _response, english = about("?index=2")
    _response, indonesian = about("?index=2", "id")

    with translation.override("id"):
        assert "Entri 2 milik kemitraan privat" in html.unescape(indonesian)
    english_commands = support.page_commands(english)
    indonesian_commands = support.page_commands(indonesian)
    assert english_commands.keys() == indonesian_commands.keys()
    for name in english_commands:
        if name != "cmd-receipt":  # its message for a hidden body is in the reader's language
            assert english_commands[name] == indonesian_commands[name], name
