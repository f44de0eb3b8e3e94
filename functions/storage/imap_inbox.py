"""The 市长信箱's IMAP mailbox (§17, where SES receiving is absent): the only code that talks
to it. IMAP4 over TLS (``imaplib.IMAP4_SSL``), the server's certificate always verified;
messages are named by UID and read with ``BODY.PEEK[]``, so reading one never marks it: the
poller marks it (``mark_seen``, ``mark_failed``) once it has been dealt with.

Every socket operation gives up after ``TIMEOUT_SECONDS``, well inside the job's Lambda
timeout."""

from __future__ import annotations

import contextlib
import imaplib
import re
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from functions.settings import settings

TIMEOUT_SECONDS = 20.0
SEEN = r"(\Seen)"
# A message whose processing failed: read (so no run takes it again) and flagged, where a
# person finds it in any mail client; unflagging it and marking it unread retries it.
FAILED = r"(\Seen \Flagged)"
_UID = re.compile(rb"\bUID (\d+)\b")


class MailboxUnavailable(Exception):
    """The mailbox cannot be reached or refuses the account (host, TLS, password, folder)."""


class MailboxSecretMissing(MailboxUnavailable):
    """No password: neither the named secret nor, locally, ``WZ_IMAP_PASSWORD``."""


def _password() -> str:
    s = settings()
    if s.imap_password_secret:
        from functions.storage import secrets

        try:
            return secrets.value(s.imap_password_secret)
        except secrets.SecretMissing as error:
            raise MailboxSecretMissing(str(error)) from error
    if s.imap_password:
        return s.imap_password
    raise MailboxSecretMissing("WZ_IMAP_PASSWORD_SECRET names no secret")


def _tls() -> ssl.SSLContext:
    """The system's trust store (and, on the local stage only, ``imap_ca_file`` besides):
    certificate and host name always checked."""
    context = ssl.create_default_context()
    if settings().imap_ca_file:
        context.load_verify_locations(cafile=settings().imap_ca_file)
    return context


@dataclass
class Inbox:
    """One selected folder of a signed-in connection."""

    connection: imaplib.IMAP4

    def _ok(self, answer: tuple[str, list[object]], what: str) -> list[object]:
        status, data = answer
        if status != "OK":
            raise imaplib.IMAP4.error(f"{what}: {status}")
        return data

    def unseen(self, limit: int) -> list[str]:
        """The UIDs of up to ``limit`` unread messages, oldest first."""
        data = self._ok(self.connection.uid("SEARCH", "UNSEEN"), "UID SEARCH")
        found = b" ".join(part for part in data if isinstance(part, bytes)).split()
        uids = sorted({int(uid) for uid in found if uid.isdigit()})
        return [str(uid) for uid in uids[:limit]]

    def fetch(self, uid: str) -> bytes | None:
        """The raw RFC 822 message, without marking it read; None when it is gone."""
        data = self._ok(self.connection.uid("FETCH", uid, "(BODY.PEEK[])"), "UID FETCH")
        for part in data:
            if isinstance(part, tuple) and len(part) == 2 and isinstance(part[1], bytes):
                found = _UID.search(part[0]) if isinstance(part[0], bytes) else None
                if found is None or found.group(1).decode() == uid:
                    return part[1]
        return None

    def _flag(self, uid: str, flags: str) -> None:
        self._ok(self.connection.uid("STORE", uid, "+FLAGS.SILENT", flags), "UID STORE")

    def mark_seen(self, uid: str) -> None:
        self._flag(uid, SEEN)

    def mark_failed(self, uid: str) -> None:
        self._flag(uid, FAILED)


@contextmanager
def opened() -> Iterator[Inbox]:
    """The configured folder, signed in and selected read-write; logged out on the way out.
    ``MailboxUnavailable`` when it cannot be reached, refuses the account or has no such
    folder."""
    s = settings()
    password = _password()
    try:
        connection = imaplib.IMAP4_SSL(
            s.imap_host, s.imap_port, ssl_context=_tls(), timeout=TIMEOUT_SECONDS
        )
    except (OSError, imaplib.IMAP4.error) as error:  # refused, timed out, TLS not trusted
        raise MailboxUnavailable(f"cannot reach {s.imap_host}:{s.imap_port}") from error
    try:
        try:
            connection.login(s.imap_user, password)
            status, _ = connection.select(_quoted(s.imap_folder))
        except (OSError, imaplib.IMAP4.error) as error:
            raise MailboxUnavailable(f"{s.imap_user} refused or folder unusable") from error
        if status != "OK":
            raise MailboxUnavailable(f"no folder {s.imap_folder!r}")
        yield Inbox(connection)
    finally:
        # A connection already gone has nothing left to close.
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            connection.logout()


def _quoted(folder: str) -> str:
    """A folder name as an IMAP string (a name with spaces, e.g. ``"Mayor Mailbox"``)."""
    if re.fullmatch(r"[A-Za-z0-9._/-]+", folder):
        return folder
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'
