"""E-mail through an SMTP server over TLS (a government mail server, where SES is absent):
implicit TLS from the first byte (``WZ_SMTP_TLS=implicit``, port 465) or ``STARTTLS``
(``starttls``, port 587), the server's certificate verified against the system's CAs, AUTH
as ``WZ_SMTP_USER`` with the password in the secret ``WZ_SMTP_SECRET``. One connection per
message: the outbox job sends few, and a connection cannot outlive a failure.

The server's answer sorts the failure: the recipient refused for good (5xx) is ``Refused``;
a temporary refusal of the recipient (4xx) counts an attempt and is retried; the server busy
or out of reach (421, a connection error, a timeout) is ``Throttled``, like SES's outage;
any other refusal (the sender, AUTH, the content) counts an attempt."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from email.utils import formatdate

from functions.notify.adapter import DeliveryFailed, Refused, Throttled, mime_message, redact
from functions.settings import settings

TIMEOUT_SECONDS = 10.0


def _password() -> str:
    from functions.storage import secrets

    secret_id = settings().smtp_secret
    if not secret_id:
        return ""
    try:
        return secrets.value(secret_id)
    except secrets.SecretMissing as error:
        raise DeliveryFailed(f"email: {error}") from error


def _answer(code: int, text: bytes | str) -> str:
    said = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"email: smtp {code}: {redact(said)}".rstrip(": ")


def _connect(host: str, port: int) -> smtplib.SMTP:
    context = ssl.create_default_context()
    if settings().smtp_tls == "implicit":
        return smtplib.SMTP_SSL(host, port, timeout=TIMEOUT_SECONDS, context=context)
    connection = smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS)
    try:
        connection.starttls(context=context)  # refuses to go on in the clear
    except BaseException:
        connection.close()
        raise
    return connection


def send(
    to: str,
    subject: str,
    body: str,
    *,
    message_id: str,
    links: Sequence[str] = (),
    headers: Sequence[tuple[str, str]] = (),
) -> str:
    """Send one e-mail; its ``Message-ID`` (``<message_id@sender's domain>``) is the
    provider id."""
    s = settings()
    if not s.smtp_host:
        raise DeliveryFailed("email: WZ_SMTP_HOST is not set")
    domain = s.mail_sender.rpartition("@")[2] or "localhost"
    mail_id = f"<{message_id}@{domain}>"
    stamped = (*headers, ("Date", formatdate(usegmt=True)), ("Message-ID", mail_id))
    raw = mime_message(s.mail_sender, to, subject, body, links, stamped)
    password = _password()
    try:
        with _connect(s.smtp_host, s.smtp_port) as connection:
            if s.smtp_user:
                connection.login(s.smtp_user, password)
            options = []
            if not (s.mail_sender + to).isascii():  # 王小明@…: the envelope needs SMTPUTF8
                if not connection.has_extn("smtputf8"):
                    raise Refused("email: the server takes no non-ASCII address (SMTPUTF8)")
                options.append("SMTPUTF8")
            connection.sendmail(s.mail_sender, [to], raw, mail_options=options)
    except smtplib.SMTPRecipientsRefused as error:
        code, said = next(iter(error.recipients.values()), (550, b""))
        kind = Refused if code >= 500 else Throttled if code == 421 else DeliveryFailed
        raise kind(_answer(code, said)) from error
    except smtplib.SMTPResponseException as error:
        code = int(error.smtp_code)
        text = _answer(code, error.smtp_error)
        if code == 421 or isinstance(error, smtplib.SMTPConnectError):
            raise Throttled(text) from error
        if isinstance(error, smtplib.SMTPDataError) and code >= 500:
            raise Refused(text) from error  # the server will not take this message
        raise DeliveryFailed(text) from error
    except (smtplib.SMTPException, OSError) as error:
        # Disconnected, refused, timed out, TLS failed: the server is out of reach. The
        # exception's text may name the host; its type says enough.
        raise Throttled(f"email: smtp unreachable: {type(error).__name__}") from error
    return mail_id
