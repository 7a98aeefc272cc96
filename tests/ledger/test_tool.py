"""The downloadable ledger tool and the verification page's commands, run as written.

/ledger/sinergi-ledger.pyz must work for a partner who has Python 3 and `cryptography`
but not Sinergi: the tool runs here with `python -S` (no site-packages processing, so the
checkout's editable install is invisible) and only the directory holding `cryptography`
on its path, from an empty directory. The verification page's command blocks are then
run by bash, exactly as the page shows them (and its copy buttons copy them), against a
live server.
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import html
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import cryptography
import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from sinergi.access.services import create_api_token
from sinergi.ledger import checkpoints, notes, verifier
from sinergi.ledger.models import Checkpoint, Cosignature, Witness
from tests.factories import MembershipFactory, OrganisationFactory, PartnershipFactory
from tests.ledger import support

# The directory that holds `cryptography` (and cffi): all a partner's Python needs.
SITE = str(Path(cryptography.__file__).resolve().parents[1])


def partner_python(directory: Path) -> Path:
    """A `python3` for the page's commands: this interpreter without site processing,
    seeing only the directory that holds `cryptography`, never the Sinergi checkout."""
    bin_dir = directory / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "python3"
    shim.write_text(f'#!/bin/sh\nPYTHONPATH="{SITE}" exec "{sys.executable}" -S "$@"\n')
    shim.chmod(0o755)
    return bin_dir


def run(
    command: str, cwd: Path, bin_dir: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    extra = env or {}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTHON"))}
    env.pop("SINERGI_TOKEN", None)
    env.update(extra)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"
    return subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def partner(tmp_path) -> tuple[Path, Path]:
    """An empty working directory and the bin directory with the partner's python3."""
    work = tmp_path / "partner"
    work.mkdir()
    return work, partner_python(tmp_path)


def test_the_tool_is_the_same_bytes_every_build_and_holds_only_the_offline_modules(ledger):
    """Given the download, then it is a zip application whose modules are exactly this
    source's merkle, notes, offline and witness (no Django), with the SHA-256 the
    verification page shows; a second build gives the same bytes."""
    response = Client().get("/ledger/sinergi-ledger.pyz")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="sinergi-ledger.pyz"'
    body = response.content
    assert body.startswith(b"#!/usr/bin/env python3\n")
    verifier.build_tool.cache_clear()
    assert verifier.build_tool() == body
    archive = zipfile.ZipFile(io.BytesIO(body))
    source = Path(verifier.__file__).parent
    for module in ("merkle.py", "notes.py", "offline.py", "witness.py"):
        assert archive.read(f"sinergi/ledger/{module}") == (source / module).read_bytes()
    assert set(archive.namelist()) == {
        "__main__.py",
        "sinergi/__init__.py",
        "sinergi/ledger/__init__.py",
        *(f"sinergi/ledger/{m}" for m in ("merkle.py", "notes.py", "offline.py", "witness.py")),
    }
    assert not any(b"django" in archive.read(name) for name in archive.namelist())
    page = html.unescape(Client().get("/en/ledger/").content.decode())
    assert hashlib.sha256(body).hexdigest() in page


def page_commands(live_server, query: str = "") -> dict[str, str]:
    """The command blocks of /en/ledger/ as served to an anonymous reader of the live
    server, by id, as a browser copies them."""
    host = live_server.url.removeprefix("http://")
    page = Client().get(f"/en/ledger/{query}", HTTP_HOST=host)
    assert page.status_code == 200
    return support.page_commands(page.content.decode())


def tool_has_log_command(work: Path, bin_dir: Path) -> bool:
    """Whether the downloaded tool has `log` (checks the whole log from a site's URL)."""
    return run("python3 sinergi-ledger.pyz log --help", work, bin_dir).returncode == 0


def log_command_argv(command: str) -> list[str]:
    """`python3 sinergi-ledger.pyz log URL [--vkey VKEY] [--witness VKEY ...] [--token
    TOKEN] [--state DIR]`, the interface of the tool's whole-log check, read from the page's block:
    its words past the tool's name, checked against that interface."""
    words = shlex.split(command.replace("\\\n", " "))
    assert words[:3] == ["python3", "sinergi-ledger.pyz", "log"], words
    parser = argparse.ArgumentParser(exit_on_error=False)
    parser.add_argument("url")
    parser.add_argument("--vkey")
    parser.add_argument("--witness", action="append", default=[])
    parser.add_argument("--token")
    parser.add_argument("--state")
    parser.parse_args(words[3:])
    return words[3:]


@pytest.mark.skipif(shutil.which("curl") is None, reason="the page's commands use curl")
def test_every_command_on_the_verification_page_works_as_written(
    live_server, ledger, partner, settings
):
    """Given a live log with checkpoints and an operator's export, when a partner runs each
    command block of /en/ledger/?index=5 with bash as shown (and as copied), then each
    succeeds and says so: the checkpoint and key, entry 5 and its proof in the tree of
    the checkpoint shown, the tool whose hash matches the page, a receipt that verifies
    with the entry's exact bytes, a consistency proof, a witness that first asks to be
    registered and then cosigns, registered by the page's line for staff with its
    organisation, the receipt again demanding that witness, the audit bundle and the
    whole log from the site."""
    work, bin_dir = partner
    settings.SINERGI_LEDGER_CHECKPOINT_INTERVAL = 3600  # the checkpoints are the two below
    support.append_events(4)
    checkpoints.issue_checkpoint()
    support.append_events(3, first=4)
    checkpoint = checkpoints.issue_checkpoint()
    call_command("ledger", "export", str(work / "ledger.json"), stdout=io.StringIO())
    exported = Checkpoint.objects.count()  # 4 and 7, and any issued after an append
    commands = page_commands(live_server, "?index=5")
    for name, text in commands.items():
        done = run(f"bash -n -c {shlex.quote(text)}", work, bin_dir)
        assert done.returncode == 0, (name, done.stderr)

    done = run(commands["cmd-fetch"], work, bin_dir)
    assert done.returncode == 0, done.stderr
    assert checkpoint.note in done.stdout
    assert checkpoints.verifier_key() in done.stdout

    done = run(commands["cmd-entry"], work, bin_dir)
    assert done.returncode == 0, done.stderr
    assert '"index":5' in done.stdout.replace(" ", "")
    assert '"tree_size":7' in done.stdout.replace(" ", "")
    assert f'"body":"{support.b64(support.stored_bodies()[5])}"' in done.stdout.replace(" ", "")

    done = run(commands["cmd-tool"], work, bin_dir)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[0] == verifier.tool_sha256()

    done = run(commands["cmd-receipt"], work, bin_dir)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK: the entry is in" in done.stdout
    assert "checkpoint size 7" in done.stdout
    assert (work / "entry.bin").read_bytes() == support.stored_bodies()[5]

    done = run(commands["cmd-grew"], work, bin_dir)
    assert done.returncode == 0, done.stderr
    assert '"first":4' in done.stdout.replace(" ", "")
    assert '"second":7' in done.stdout.replace(" ", "")

    done = run(commands["cmd-witness"], work, bin_dir)
    assert done.returncode == 1
    register = re.search(r"sinergi ledger add-witness (\S+)", done.stderr)
    assert register, done.stderr
    assert register.group(1).startswith("witness.your-organisation.example/sinergi+")
    assert f"add-witness {register.group(1)} --organisation SLUG" in done.stderr
    organisation = OrganisationFactory(slug="yayasan-saksi")
    words = shlex.split(commands["cmd-register"].replace("\\\n", " "))
    words = [register.group(1) if w == "WITNESS_VKEY" else w for w in words]
    words = [organisation.slug if w == "SLUG" else w for w in words]
    call_command(*words[1:], stdout=io.StringIO())
    done = run(commands["cmd-witness"], work, bin_dir)
    assert done.returncode == 0, done.stderr
    # The first run already checked and remembered checkpoint 7 (on trust).
    assert done.stdout.strip() == "cosigned size 7 (consistent)"
    cosignature = Cosignature.objects.get()
    assert cosignature.witness.name == "witness.your-organisation.example/sinergi"
    assert cosignature.witness.organisation == organisation

    done = run(commands["cmd-bundle"], work, bin_dir)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"OK: 7 entries, {exported} checkpoints verified"

    # The page now lists the witness and demands its cosignature in an example.
    commands = page_commands(live_server, "?index=5")
    witness_key = register.group(1)
    assert shlex.split(commands["cmd-receipt-witness"])[-2:] == ["--witness", witness_key]
    done = run(commands["cmd-receipt"], work, bin_dir)  # a receipt carrying the cosignature
    assert done.returncode == 0, done.stdout + done.stderr
    done = run(commands["cmd-receipt-witness"], work, bin_dir)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK: the entry is in" in done.stdout

    vkey = checkpoints.verifier_key()
    assert log_command_argv(commands["cmd-log"]) == [
        live_server.url,
        "--vkey",
        vkey,
        "--state",
        "sinergi-log",
    ]
    assert log_command_argv(commands["cmd-log-witness"]) == [
        live_server.url,
        "--vkey",
        vkey,
        "--witness",
        witness_key,
    ]
    if tool_has_log_command(work, bin_dir):  # the tool's `log`, from the same release
        for name in ("cmd-log", "cmd-log-witness", "cmd-log"):
            done = run(commands[name], work, bin_dir)
            assert done.returncode == 0, (name, done.stdout + done.stderr)
        assert "checked against, and remembering," in done.stdout  # the second run of cmd-log


@pytest.mark.skipif(shutil.which("curl") is None, reason="the page's commands use curl")
def test_a_private_entry_s_commands_work_with_a_member_s_token_and_fail_clearly_without(
    live_server, ledger, partner
):
    """Given /en/ledger/?index=2 for an entry of a private partnership, when its receipt
    commands run without a token, then they stop with a message saying a member's token
    is needed, and leave no entry.bin (an empty one would fail later as "does not
    verify"); with a member's API token in SINERGI_TOKEN they verify the entry."""
    work, bin_dir = partner
    partnership = PartnershipFactory(visibility="private")
    member = MembershipFactory(partnership=partnership).person
    _token, secret = create_api_token(actor=member, name="ledger")
    support.append_events(2)
    support.append_events(1, partnership=partnership, first=2)
    checkpoints.issue_checkpoint()
    commands = page_commands(live_server, "?index=2")
    assert run(commands["cmd-tool"], work, bin_dir).returncode == 0

    done = run(commands["cmd-receipt"], work, bin_dir)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAIL: the log gave no bytes for entry 2" in done.stderr
    assert "SINERGI_TOKEN" in done.stderr and "Traceback" not in done.stderr
    assert not (work / "entry.bin").exists()

    done = run(commands["cmd-entry"], work, bin_dir, env={"SINERGI_TOKEN": secret})
    assert done.returncode == 0, done.stderr
    assert f'"body":"{support.b64(support.stored_bodies()[2])}"' in done.stdout.replace(" ", "")

    done = run(commands["cmd-receipt"], work, bin_dir, env={"SINERGI_TOKEN": secret})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK: the entry is in" in done.stdout
    assert (work / "entry.bin").read_bytes() == support.stored_bodies()[2]


@pytest.fixture
def tool(ledger, partner) -> tuple[Path, Path]:
    """The tool downloaded into the partner's directory; returns it and the bin dir."""
    work, bin_dir = partner
    (work / "sinergi-ledger.pyz").write_bytes(Client().get("/ledger/sinergi-ledger.pyz").content)
    return work, bin_dir


def test_the_tool_refuses_a_tampered_receipt_and_a_bad_bundle_with_a_message(tool):
    """Given the tool, a receipt and an export, then another entry's bytes, a key that is
    not a verifier key, a file that is not JSON and a missing file each end in one FAIL
    line and exit status 1 — never a traceback."""
    work, bin_dir = tool
    support.append_events(3)
    checkpoints.issue_checkpoint()
    (work / "entry.tlog-proof").write_bytes(
        Client().get("/api/v1/ledger/entries/1/receipt").content
    )
    bodies = support.stored_bodies()
    (work / "wrong.bin").write_bytes(bodies[2])
    call_command("ledger", "export", str(work / "ledger.json"), stdout=io.StringIO())
    (work / "broken.json").write_text('{"format": ')
    vkey = checkpoints.verifier_key()

    cases = {
        f'python3 sinergi-ledger.pyz receipt entry.tlog-proof --vkey "{vkey}" --entry wrong.bin': (
            "the inclusion proof does not verify"
        ),
        "python3 sinergi-ledger.pyz bundle ledger.json --vkey VKEY": "not a verifier key",
        "python3 sinergi-ledger.pyz bundle broken.json": "is not JSON",
        "python3 sinergi-ledger.pyz bundle missing.json": "No such file",
    }
    for command, message in cases.items():
        done = run(command, work, bin_dir)
        assert done.returncode == 1, (command, done.stderr)
        assert "Traceback" not in done.stderr, done.stderr
        assert done.stderr.startswith("FAIL: "), done.stderr
        assert message in done.stderr, done.stderr

    (work / "right.bin").write_bytes(bodies[1])
    command = (
        f'python3 sinergi-ledger.pyz receipt entry.tlog-proof --vkey "{vkey}" --entry right.bin'
    )
    done = run(command, work, bin_dir)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK: the entry is in")


def test_a_witness_name_is_not_taken_over_by_another_key(ledger):
    """Given a registered witness, when staff register a different key with the same name,
    then the command refuses and names the clash, and the first registration stands;
    with --replace (a key rotation) the new key is registered; the same key again is fine."""
    first = notes.generate_signer("witness.localhost/witness", notes.ALG_COSIGNATURE_V1)
    second = notes.generate_signer("witness.localhost/witness", notes.ALG_COSIGNATURE_V1)
    call_command("ledger", "add-witness", first.vkey(), stdout=io.StringIO())
    call_command("ledger", "add-witness", first.vkey(), stdout=io.StringIO())

    with pytest.raises(CommandError, match="already registered with another key"):
        call_command("ledger", "add-witness", second.vkey(), stdout=io.StringIO())
    assert Witness.objects.get().vkey == first.vkey()

    call_command("ledger", "add-witness", second.vkey(), "--replace", stdout=io.StringIO())
    assert Witness.objects.get().vkey == second.vkey()


def test_verify_bundle_names_a_bad_file_or_key_instead_of_failing_with_a_traceback(
    ledger, tmp_path
):
    """Given `sinergi ledger verify-bundle` with a file that is not JSON, a missing file or
    a key that is not a verifier key, then it fails with a CommandError saying which."""
    support.append_events(2)
    checkpoints.issue_checkpoint()
    export = tmp_path / "ledger.json"
    call_command("ledger", "export", str(export), stdout=io.StringIO())
    (tmp_path / "broken.json").write_text("[1, 2")

    with pytest.raises(CommandError, match="cannot read"):
        call_command("ledger", "verify-bundle", str(tmp_path / "broken.json"))
    with pytest.raises(CommandError, match="cannot read"):
        call_command("ledger", "verify-bundle", str(tmp_path / "missing.json"))
    err = io.StringIO()
    with pytest.raises(CommandError, match="does not verify"):
        call_command("ledger", "verify-bundle", str(export), "--vkey", "VKEY", stderr=err)
    assert "not a verifier key" in err.getvalue()


def run_tool_without_site(tool: Path, cwd: Path, path: str | None = None):
    """The tool under this interpreter with no site-packages, `path` alone on sys.path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTHON"))}
    if path is not None:
        env["PYTHONPATH"] = path
    return subprocess.run(
        [sys.executable, "-S", str(tool), "bundle", "ledger.json"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_without_cryptography_the_tool_says_what_to_install(ledger, tmp_path):
    """Given a Python without the cryptography package, then the tool says which version
    it needs and how to install it on Debian and elsewhere (exit 1), not a traceback."""
    tool = tmp_path / "sinergi-ledger.pyz"
    tool.write_bytes(Client().get("/ledger/sinergi-ledger.pyz").content)

    done = run_tool_without_site(tool, tmp_path)

    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"sinergi-ledger.pyz needs the cryptography package, version "
        f"{verifier.MIN_CRYPTOGRAPHY} or later (found: no cryptography package).\n"
        "On Debian or Ubuntu: sudo apt install python3-cryptography\n"
        "Elsewhere: pip install cryptography (in a venv if pip is refused)"
    )


def test_with_a_cryptography_too_old_for_ed25519_the_tool_states_the_minimum(ledger, tmp_path):
    """Given a Python whose cryptography has no Ed25519 (here a package that says it is
    2.0 and has nothing else), then the tool names the version it found and the minimum
    it needs, not an ImportError traceback."""
    tool = tmp_path / "sinergi-ledger.pyz"
    tool.write_bytes(Client().get("/ledger/sinergi-ledger.pyz").content)
    old = tmp_path / "old-site" / "cryptography"
    old.mkdir(parents=True)
    (old / "__init__.py").write_text('__version__ = "2.0"\n')

    done = run_tool_without_site(tool, tmp_path, str(old.parent))

    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    first = done.stderr.splitlines()[0]
    assert first.startswith(
        f"sinergi-ledger.pyz needs the cryptography package, version "
        f"{verifier.MIN_CRYPTOGRAPHY} or later (found: cryptography 2.0: "
    ), done.stderr
    assert "sudo apt install python3-cryptography" in done.stderr


# Methods that cryptography added in version 40: the tool must not use them (Debian 12's
# python3-cryptography is 38.0.4, and pip is refused there as externally managed).
CRYPTOGRAPHY_40_ONLY = {"private_bytes_raw", "public_bytes_raw"}


def test_the_tool_calls_no_method_that_needs_cryptography_40():
    """Given every module in the tool and its __main__, then none uses an attribute that
    only cryptography 40 or later has (private_bytes_raw crashed the witness on Debian 12)."""
    sources = {"__main__.py": verifier._MAIN}
    source_dir = Path(verifier.__file__).parent
    sources.update({m: (source_dir / m).read_text("utf-8") for m in verifier.MODULES})

    used = {
        (name, node.attr)
        for name, text in sources.items()
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.Attribute) and node.attr in CRYPTOGRAPHY_40_ONLY
    }

    assert used == set()


OLD_CRYPTOGRAPHY_PYTHON = "SINERGI_TEST_OLD_CRYPTOGRAPHY_PYTHON"


def cryptography_version(python: str) -> str | None:
    """The cryptography version `python` imports (with its own site-packages), or None."""
    try:
        done = subprocess.run(
            [python, "-c", "import cryptography; print(cryptography.__version__)"],
            env={k: v for k, v in os.environ.items() if not k.startswith("PYTHON")},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except OSError:
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def old_cryptography_pythons() -> list[str]:
    """Interpreters whose cryptography is older than 40: those named (os.pathsep between
    them) by SINERGI_TEST_OLD_CRYPTOGRAPHY_PYTHON, else Debian 12's own /usr/bin/python3
    when it has python3-cryptography 38."""
    named = os.environ.get(OLD_CRYPTOGRAPHY_PYTHON)
    if named:
        return [p for p in named.split(os.pathsep) if p]
    version = cryptography_version("/usr/bin/python3")
    if version and int(version.split(".")[0]) < 40:
        return ["/usr/bin/python3"]
    return []


@pytest.mark.skipif(shutil.which("curl") is None, reason="the commands use curl")
@pytest.mark.parametrize(
    "python",
    old_cryptography_pythons()
    or [
        pytest.param(
            None,
            marks=pytest.mark.skip(
                reason=f"no Python with cryptography older than 40: set {OLD_CRYPTOGRAPHY_PYTHON}"
                " to one, e.g. Debian 12's /usr/bin/python3 with python3-cryptography, or a venv"
                " made with pip install cryptography==38.0.4"
            ),
        )
    ],
)
def test_the_tool_runs_with_a_cryptography_older_than_40(
    live_server, ledger, tmp_path, settings, python
):
    """Given a partner's python3 with an older cryptography (Debian 12's 38.0.4, which
    `apt install python3-cryptography` gives), then the downloaded tool creates a witness
    key and cosigns once registered (it crashed on private_bytes_raw), and verifies a
    receipt, an audit bundle and the whole log over HTTP."""
    version = cryptography_version(python)
    assert version is not None, f"{python} cannot import cryptography"
    assert int(version.split(".")[0]) < 40, f"{python} has cryptography {version}, not older"
    settings.SINERGI_LEDGER_CHECKPOINT_INTERVAL = 3600
    work = tmp_path / "partner"
    work.mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(python)
    support.append_events(3)
    checkpoints.issue_checkpoint()
    url = live_server.url
    vkey = checkpoints.verifier_key()
    download = f"curl -sf -o sinergi-ledger.pyz {url}/ledger/sinergi-ledger.pyz"
    witness = (
        f"python3 sinergi-ledger.pyz witness --url {url} --key witness.key --state state/ "
        "--name witness.debian.example/sinergi"
    )

    done = run(f"{download} && {witness}", work, bin_dir)

    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    register = re.search(r"sinergi ledger add-witness (\S+)", done.stderr)
    assert register, done.stderr
    assert (work / "witness.key").read_text().startswith("PRIVATE+KEY+witness.debian.example/")
    call_command("ledger", "add-witness", register.group(1), stdout=io.StringIO())
    done = run(witness, work, bin_dir)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "cosigned size 3 (consistent)"

    (work / "entry.bin").write_bytes(support.stored_bodies()[1])
    receipt = (
        f"curl -sf -o entry.tlog-proof {url}/api/v1/ledger/entries/1/receipt && "
        f'python3 sinergi-ledger.pyz receipt entry.tlog-proof --vkey "{vkey}" --entry entry.bin '
        f'--witness "{register.group(1)}"'
    )
    done = run(receipt, work, bin_dir)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK: the entry is in")
    call_command("ledger", "export", str(work / "ledger.json"), stdout=io.StringIO())
    done = run(f'python3 sinergi-ledger.pyz bundle ledger.json --vkey "{vkey}"', work, bin_dir)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK: 3 entries")
    done = run(f'python3 sinergi-ledger.pyz log {url} --vkey "{vkey}"', work, bin_dir)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK: 3 entries (3 bodies read), ")
