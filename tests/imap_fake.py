"""A small IMAP4rev1 server on 127.0.0.1 over TLS, for the 市长信箱 poller's tests: the subset
``imaplib`` uses (CAPABILITY, LOGIN, SELECT, UID SEARCH UNSEEN, UID FETCH BODY.PEEK[] / RFC822,
UID STORE ±FLAGS[.SILENT], NOOP, LOGOUT), one folder of messages each with a UID and flags.
Its certificate is self-signed for 127.0.0.1, made here with ``cryptography``: the poller
trusts it through ``WZ_IMAP_CA_FILE`` (the local stage's seam), with verification on."""

from __future__ import annotations

import os
import re
import socketserver
import ssl
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from typing import Any

USER = "mayor-mailbox@city.example"
PASSWORD = 'pa ss"word'  # a space and a quote: imaplib must quote it
_TOKEN = re.compile(rb'"(?:[^"\\]|\\.)*"|\([^)]*\)|\S+')


@dataclass
class Message:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)


@dataclass
class Mailbox:
    """The server's one folder, and what it was asked (for the tests' assertions)."""

    folder: str = "INBOX"
    messages: list[Message] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    next_uid: int = 101

    def add(self, raw: bytes) -> Message:
        message = Message(self.next_uid, raw)
        self.next_uid += 7  # UIDs are not sequence numbers
        self.messages.append(message)
        return message

    def by_uid(self, uid: int) -> Message | None:
        return next((m for m in self.messages if m.uid == uid), None)


def _certificate(directory: str) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 (its own CA): (cert file, key file)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake imap 127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    with open(cert_file, "wb") as out:
        out.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_file, "wb") as out:
        out.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return cert_file, key_file


def _unquoted(token: bytes) -> str:
    text = token.decode()
    if text.startswith('"') and text.endswith('"'):
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def reply(self, line: str | bytes) -> None:
        self.wfile.write((line.encode() if isinstance(line, str) else line) + b"\r\n")

    def handle(self) -> None:
        try:
            self.request.do_handshake()
        except (ssl.SSLError, OSError):
            return  # the client did not trust us: nothing more to say
        box = self.server.mailbox
        signed_in = False
        self.reply("* OK fake IMAP4rev1 ready")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            tag, _, rest = line.rstrip(b"\r\n").partition(b" ")
            words = _TOKEN.findall(rest)
            command = words[0].decode().upper() if words else ""
            args = words[1:]
            if command == "UID" and args:
                command, args = "UID " + args[0].decode().upper(), args[1:]
            box.commands.append(command if command != "LOGIN" else "LOGIN")
            t = tag.decode()
            if command == "CAPABILITY":
                self.reply("* CAPABILITY IMAP4rev1")
                self.reply(f"{t} OK CAPABILITY completed")
            elif command == "LOGIN":
                user, password = (_unquoted(a) for a in args[:2])
                if (user, password) != (USER, self.server.password):
                    self.reply(f"{t} NO [AUTHENTICATIONFAILED] Invalid credentials")
                    continue
                signed_in = True
                self.reply(f"{t} OK LOGIN completed")
            elif command == "SELECT" and signed_in:
                if _unquoted(args[0]) != box.folder:
                    self.reply(f"{t} NO no such folder")
                    continue
                self.reply(f"* {len(box.messages)} EXISTS")
                self.reply(r"* FLAGS (\Seen \Flagged)")
                self.reply("* OK [UIDVALIDITY 7] UIDs valid")
                self.reply(f"{t} OK [READ-WRITE] SELECT completed")
            elif command == "UID SEARCH" and signed_in:
                unseen = [str(m.uid) for m in box.messages if "\\Seen" not in m.flags]
                self.reply(" ".join(["* SEARCH", *unseen]))
                self.reply(f"{t} OK SEARCH completed")
            elif command == "UID FETCH" and signed_in:
                uid, items = int(args[0]), args[1].decode().upper()
                message = box.by_uid(uid)
                if message is not None:
                    n = box.messages.index(message) + 1
                    part = "BODY[]" if "BODY" in items else "RFC822"
                    head = f"* {n} FETCH (UID {uid} {part} {{{len(message.raw)}}}"
                    self.reply(head.encode() + b"\r\n" + message.raw + b")")
                    if "PEEK" not in items:
                        message.flags.add("\\Seen")
                self.reply(f"{t} OK FETCH completed")
            elif command == "UID STORE" and signed_in:
                uid, how = int(args[0]), args[1].decode().upper()
                flags = set(args[2].decode().strip("()").split())
                message = box.by_uid(uid)
                if message is not None:
                    if how.startswith("+"):
                        message.flags |= flags
                    elif how.startswith("-"):
                        message.flags -= flags
                    else:
                        message.flags = flags
                    if not how.endswith(".SILENT"):
                        n = box.messages.index(message) + 1
                        listed = " ".join(sorted(message.flags))
                        self.reply(f"* {n} FETCH (UID {uid} FLAGS ({listed}))")
                self.reply(f"{t} OK STORE completed")
            elif command == "NOOP":
                self.reply(f"{t} OK NOOP completed")
            elif command == "LOGOUT":
                self.reply("* BYE logging out")
                self.reply(f"{t} OK LOGOUT completed")
                return
            else:
                self.reply(f"{t} BAD unknown or not allowed now")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, context: ssl.SSLContext, mailbox: Mailbox, password: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.context, self.mailbox, self.password = context, mailbox, password

    def get_request(self) -> tuple[Any, Any]:
        sock, address = self.socket.accept()
        wrapped = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return wrapped, address


@dataclass
class Running:
    host: str
    port: int
    ca_file: str
    mailbox: Mailbox

    def environment(self, password: str = PASSWORD) -> dict[str, str]:
        """The settings that point the poller at this server (the local stage's)."""
        return {
            "WZ_IMAP_HOST": self.host,
            "WZ_IMAP_PORT": str(self.port),
            "WZ_IMAP_USER": USER,
            "WZ_IMAP_PASSWORD": password,
            "WZ_IMAP_CA_FILE": self.ca_file,
        }


@contextmanager
def imap_server(password: str = PASSWORD) -> Iterator[Running]:
    """The server running on a free port of 127.0.0.1 for the block."""
    with tempfile.TemporaryDirectory() as directory:
        cert_file, key_file = _certificate(directory)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        mailbox = Mailbox()
        server = _Server(context, mailbox, password)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield Running("127.0.0.1", server.server_address[1], cert_file, mailbox)
        finally:
            server.shutdown()
            server.server_close()


@contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """The process environment with ``values`` for the block, the settings read anew."""
    from functions.settings import settings

    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    settings.cache_clear()
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        settings.cache_clear()
