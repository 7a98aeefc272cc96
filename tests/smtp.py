"""A tiny real SMTP server for tests, in a thread (stdlib `socketserver` only).

`SmtpServer()` speaks enough SMTP for Django's backend and keeps what it accepted in
`delivered` (recipient → message text); addresses in `refuse` are refused at RCPT TO
with 550. `SmtpServer(silent=True)` accepts connections and never says a word, as a
wedged mail server does. `closed_port()` is a port nobody listens on (connection
refused).
"""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterable


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        if self.server.silent:
            self.server.stopping.wait(self.server.silent_for)
            return
        self._say("220 test.smtp ready")
        recipients: list[str] = []
        while True:
            line = self.rfile.readline().decode("ascii", "replace").strip()
            if not line:
                return
            verb = line.split(" ", 1)[0].split(":", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self._say("250 test.smtp")
            elif verb == "MAIL":
                recipients = []
                self._say("250 OK")
            elif verb == "RCPT":
                address = line.split(":", 1)[1].strip().strip("<>").lower()
                if address in self.server.refuse:
                    self._say("550 5.1.1 no such mailbox")
                else:
                    recipients.append(address)
                    self._say("250 OK")
            elif verb == "DATA":
                self._say("354 go ahead")
                lines = []
                while (data := self.rfile.readline()) not in (b".\r\n", b""):
                    lines.append(data.decode("utf-8", "replace"))
                with self.server.lock:
                    for address in recipients:
                        self.server.delivered.append((address, "".join(lines)))
                self._say("250 queued")
            elif verb == "RSET":
                recipients = []
                self._say("250 OK")
            elif verb == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("250 OK")

    def _say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    silent: bool
    silent_for: float
    refuse: set[str]
    delivered: list[tuple[str, str]]
    lock: threading.Lock
    stopping: threading.Event


class SmtpServer:
    """Start with `with SmtpServer(...) as smtp:`; `smtp.port` is where it listens."""

    def __init__(
        self, *, refuse: Iterable[str] = (), silent: bool = False, silent_for: float = 30.0
    ) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.silent = silent
        self._server.silent_for = silent_for
        self._server.refuse = {address.lower() for address in refuse}
        self._server.delivered = []
        self._server.lock = threading.Lock()
        self._server.stopping = threading.Event()
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def delivered(self) -> list[tuple[str, str]]:
        with self._server.lock:
            return list(self._server.delivered)

    def recipients(self) -> list[str]:
        return [address for address, _text in self.delivered]

    def __enter__(self) -> SmtpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()


def closed_port() -> int:
    """A local port with nothing listening: connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def use_smtp(settings: object, port: int, timeout: float | None = None) -> None:
    """Point Django's SMTP backend at 127.0.0.1:`port` (pytest-django's `settings`)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    if timeout is not None:
        settings.EMAIL_TIMEOUT = timeout
