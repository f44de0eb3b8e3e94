"""Local fakes of the message providers moto cannot play (§17): a loopback HTTP server that
answers as Alibaba Cloud's and Tencent Cloud's SMS APIs do (the SDK pointed at it through
``WZ_SMS_ENDPOINT``), an SMTP server over TLS (aiosmtpd) with a certificate made here, and
the settings of a stage that uses them. Nothing leaves 127.0.0.1."""

from __future__ import annotations

import datetime
import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

SMS_SECRET = "wz/test/sms"
SMTP_SECRET = "wz/test/smtp"
ALIYUN_KEYS = {"access_key_id": "LTAI-test-key", "access_key_secret": "aliyun-secret-value"}
TENCENT_KEYS = {
    "secret_id": "AKID-test-id",
    "secret_key": "tencent-secret-value",
    "sdk_app_id": "1400000001",
}
SMTP_USER = "wenzheng@gov.example"
SMTP_PASSWORD = "smtp-password-value"


@dataclass(frozen=True)
class Seen:
    """One request the fake received: the action (from the header each SDK sets), the
    query and form parameters (Alibaba's RPC style) or the JSON body (Tencent's)."""

    action: str
    headers: dict[str, str]
    params: dict[str, str]
    body: dict[str, Any]


@dataclass
class FakeSmsApi:
    """Each request takes the next scripted answer ``(status, JSON)`` for its action, or
    the action's standing answer."""

    endpoint: str = ""
    seen: list[Seen] = field(default_factory=list)
    script: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    standing: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)

    def answer(self, action: str, status: int, body: dict[str, Any]) -> None:
        self.script.setdefault(action, []).append((status, body))

    def next_answer(self, action: str) -> tuple[int, dict[str, Any]]:
        queued = self.script.get(action)
        if queued:
            return queued.pop(0)
        return self.standing.get(action, (404, {"Code": "NoScript", "Message": action}))

    def actions(self) -> list[str]:
        return [s.action for s in self.seen]


def _handler(api: FakeSmsApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            action = headers.get("x-acs-action") or headers.get("x-tc-action") or ""
            params = dict(parse_qsl(urlsplit(self.path).query))
            body: dict[str, Any] = {}
            if headers.get("content-type", "").startswith("application/json") and raw:
                body = json.loads(raw)
            elif raw:
                params.update(parse_qsl(raw.decode()))
            api.seen.append(Seen(action, headers, params, body))
            status, answer = api.next_answer(action)
            out = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        do_GET = do_POST

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def sms_api() -> Iterator[FakeSmsApi]:
    api = FakeSmsApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    api.endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def put_secret(name: str, value: str | dict[str, str]) -> None:
    import boto3

    from functions.settings import settings

    text = value if isinstance(value, str) else json.dumps(value)
    client = boto3.client("secretsmanager", region_name=settings().region)
    try:
        client.create_secret(Name=name, SecretString=text)
    except client.exceptions.ResourceExistsException:
        client.put_secret_value(SecretId=name, SecretString=text)


def stage(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    """The settings of a stage with these ``WZ_…`` variables (read afresh; the caller's
    monkeypatch puts them back, and ``restage`` forgets them)."""
    from functions.notify.providers import aliyun, tencent
    from functions.settings import settings
    from functions.storage import secrets

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings.cache_clear()
    secrets.reset()
    aliyun._client.cache_clear()
    tencent._client.cache_clear()


def restage() -> None:
    from functions.settings import settings

    settings.cache_clear()


# --- TLS: a certificate for 127.0.0.1, trusted through SSL_CERT_FILE ----------------------


def certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, as PEM files in ``directory``."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@dataclass
class Delivered:
    """What the SMTP fake took: the envelope, the message, the AUTH and whether TLS was on."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    tls: bool


@dataclass
class FakeSmtp:
    port: int = 0
    delivered: list[Delivered] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    refuse_rcpt: str | None = None  # an SMTP answer to every RCPT TO, e.g. "550 5.1.1 …"


class _Handler:
    def __init__(self, fake: FakeSmtp) -> None:
        self.fake = fake

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.fake.refuse_rcpt:
            return self.fake.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        tls = server.transport.get_extra_info("ssl_object") is not None
        self.fake.delivered.append(
            Delivered(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, tls)
        )
        return "250 2.0.0 queued"


@contextmanager
def smtp_server(tls: str, cert: tuple[Path, Path]) -> Iterator[FakeSmtp]:
    """aiosmtpd on 127.0.0.1 with implicit TLS or STARTTLS required, AUTH checked against
    ``SMTP_USER`` / ``SMTP_PASSWORD``."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    fake = FakeSmtp(port=closed_port())
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert[0]), str(cert[1]))

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = isinstance(data, LoginPassword)
        if ok:
            fake.logins.append((data.login.decode(), data.password.decode()))
            ok = (data.login.decode(), data.password.decode()) == (SMTP_USER, SMTP_PASSWORD)
        return AuthResult(success=ok, handled=False)

    options: dict[str, Any] = (
        # aiosmtpd offers AUTH on an implicit TLS connection only without this check (it
        # knows TLS only from STARTTLS); the connection is TLS from its first byte anyway.
        {"ssl_context": context, "auth_require_tls": False}
        if tls == "implicit"
        else {"tls_context": context, "require_starttls": True, "auth_require_tls": True}
    )
    controller = Controller(
        _Handler(fake),
        hostname="127.0.0.1",
        port=fake.port,
        authenticator=authenticate,
        enable_SMTPUTF8=True,
        ready_timeout=5,
        **options,
    )
    controller.start()
    try:
        yield fake
    finally:
        controller.stop()


# --- answers and outbox state the receipt tests share -------------------------------------

PHONE = "+8613800000001"


def aliyun_details(status: int, err: str = "DELIVERED") -> dict[str, Any]:
    """Alibaba's ``QuerySendDetails`` answer for one SMS: ``SendStatus`` 1 on its way, 2
    failed (``ErrCode`` the carrier's reason), 3 delivered."""
    return {
        "Code": "OK",
        "Message": "OK",
        "TotalCount": 1,
        "SmsSendDetailDTOs": {
            "SmsSendDetailDTO": [
                {
                    "SendStatus": status,
                    "ErrCode": err,
                    "PhoneNum": PHONE.removeprefix("+86"),
                    "TemplateCode": "SMS_100000001",
                    "Content": "【临江问政】您的诉求已办结",
                    "OutId": "x",
                }
            ]
        },
    }


def sent_sms(provider_id: str, now: datetime.datetime) -> str:
    """An SMS (kind ``closed``) the provider took at ``now``, awaiting its receipt: its id."""
    from functions.storage import outbox_repo

    item = outbox_repo.new_message(
        channel="sms",
        recipient=PHONE,
        subject="",
        body="【临江问政】您的诉求已办结",
        case_id="WZ20261102-AAAAAA",
        template="closed",
        now=now,
        sms_kind="closed",
        sms_params=(("case_id", "WZ20261102-AAAAAA"),),
    )
    item.save()
    message = outbox_repo.get(item.message_id)
    assert message is not None
    outbox_repo.mark_sent(message, provider_id, now, machine_now=now, await_receipt=True)
    return str(item.message_id)
