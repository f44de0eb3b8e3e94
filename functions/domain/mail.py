"""市长信箱 by e-mail (§17): what an inbound message says, read from its raw RFC 822 bytes.

Pure: no storage, no clock. Mail is untrusted input: sizes are capped, HTML is reduced to
text and never kept or rendered, and nothing in a message is followed (no links fetched, no
remote content). ``functions.services.mailbox`` turns a parsed message into a case, or into
补充 on the case a reply names."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import parseaddr
from html.parser import HTMLParser

from functions.domain.photos import CONTENT_TYPES, MAX_BYTES, MAX_PER_CASE

TITLE_MAX = 60  # the subject beyond this goes to the front of the text
CONTENT_MAX = 5000  # characters of text kept (the web form's limit)
MAX_MESSAGE_BYTES = 25 * 1024 * 1024  # a larger stored message is not read at all
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024  # a staff-only file larger than this is not kept
MAX_ATTACHMENTS = 10  # staff-only files kept per message
NO_SUBJECT = "（无主题）"
INBOUND_PREFIX = "inbound/"  # where the SES receipt rule (or the IMAP poller) stores a message
FILES_PREFIX = "files/"  # a mailed case's staff-only files: never served (not under processed/)
# The platform's thread id on every mail it sends about a case (References / In-Reply-To):
# the case id and a token only the case's own salt makes, so a forged header names no case.
_THREAD = re.compile(r"<wz\.(WZ\d{8}-[A-Z0-9]{6})\.([0-9a-f]{20})@[^>\s]+>")


@dataclass(frozen=True)
class Attachment:
    """A part of the message that is a file: an image for the photo pipeline, or a file kept
    for staff. ``data`` is None when the file was over the cap (only its name and size are
    recorded)."""

    filename: str
    content_type: str
    size: int
    data: bytes | None


@dataclass(frozen=True)
class InboundMail:
    message_id: str | None
    sender: str | None  # the envelope-ish From address, lower-cased domain; None: null sender
    sender_name: str | None
    subject: str
    text: str
    references: tuple[str, ...]  # In-Reply-To and References, message ids with brackets
    bounce: bool  # a delivery status notification or a null sender: never a case
    automatic: bool  # auto-replied, auto-generated, a list or bulk mail: never auto-replied
    images: list[Attachment] = field(default_factory=list)
    files: list[Attachment] = field(default_factory=list)

    @property
    def title(self) -> str:
        """The subject cut to ``TITLE_MAX`` characters."""
        return self.subject[:TITLE_MAX]

    @property
    def content(self) -> str:
        """The text, led by the part of the subject the title could not hold."""
        rest = self.subject[TITLE_MAX:]
        body = self.text or "（邮件无正文）"
        text = f"{rest}\n\n{body}" if rest else body
        return text[:CONTENT_MAX]


class _TextOfHtml(HTMLParser):
    """The text of an HTML part: tags dropped, block ends as line breaks, scripts and styles
    left out. Nothing is fetched, nothing kept of the markup."""

    BLOCKS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})
    SKIPPED = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIPPED:
            self.skipping += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    reader = _TextOfHtml()
    reader.feed(html)
    reader.close()
    return _tidy("".join(reader.parts))


def _tidy(text: str) -> str:
    """Lines stripped of trailing space, runs of blank lines made one, control characters
    (other than line breaks and tabs) removed."""
    text = "".join(ch for ch in text if ch in "\n\t" or ch.isprintable())
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    return "\n".join(out).strip()


def _one_line(text: str | None) -> str:
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text or "").split())


def _automatic(message: EmailMessage) -> bool:
    """RFC 3834 and common practice: a message no auto-reply may answer."""
    auto = (message.get("Auto-Submitted") or "no").strip().lower()
    precedence = (message.get("Precedence") or "").strip().lower()
    return (
        auto.split(";")[0].strip() != "no"
        or precedence in ("bulk", "list", "junk")
        or message.get("List-Id") is not None
        or message.get("List-Unsubscribe") is not None
        or message.get("X-Autoreply") is not None
        or message.get("X-Autorespond") is not None
    )


def _bounce(message: EmailMessage, sender: str | None) -> bool:
    return (
        sender is None
        or message.get_content_type() == "multipart/report"
        or (message.get("Return-Path") or "").strip() == "<>"
        or sender.split("@")[0].lower() in ("mailer-daemon", "postmaster")
    )


def _sender(message: EmailMessage) -> tuple[str | None, str | None]:
    """The From address (the domain lower-cased) and its display name; (None, None) for a
    null or unreadable sender."""
    raw = str(message.get("From") or "")
    name, address = parseaddr(raw)
    if not address or "@" not in address or any(ch.isspace() for ch in address):
        return None, None
    local, _, domain = address.rpartition("@")
    if not local or "." not in domain:
        return None, None
    return f"{local}@{domain.lower()}", (_one_line(name)[:40] or None)


def _references(message: EmailMessage) -> tuple[str, ...]:
    found: list[str] = []
    for header in ("In-Reply-To", "References"):
        found += re.findall(r"<[^<>\s]+>", str(message.get(header) or ""))
    return tuple(dict.fromkeys(found))


def _decoded(part: EmailMessage) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _text(part: EmailMessage) -> str:
    try:
        return str(part.get_content())
    except (LookupError, UnicodeError, AssertionError):  # an unknown or lying charset
        return _decoded(part).decode("utf-8", errors="replace")


def parse(raw: bytes) -> InboundMail:
    """What ``raw`` says. Never raises for a malformed message: what cannot be read is left
    out (a part with a broken encoding contributes nothing)."""
    message = BytesParser(policy=policy.default).parsebytes(raw[:MAX_MESSAGE_BYTES])
    assert isinstance(message, EmailMessage)
    sender, name = _sender(message)
    plain: list[str] = []
    html: list[str] = []
    images: list[Attachment] = []
    files: list[Attachment] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        assert isinstance(part, EmailMessage)
        kind = part.get_content_type()
        filename = _one_line(part.get_filename())[:120]
        disposition = part.get_content_disposition()
        if disposition != "attachment" and not filename and kind == "text/plain":
            plain.append(_text(part))
            continue
        if disposition != "attachment" and not filename and kind == "text/html":
            html.append(_text(part))
            continue
        if kind in ("message/delivery-status", "message/rfc822"):
            continue
        data = _decoded(part)
        size = len(data)
        name_or_kind = filename or kind.replace("/", ".")
        if kind in CONTENT_TYPES and size <= MAX_BYTES and len(images) < MAX_PER_CASE:
            images.append(Attachment(name_or_kind, kind, size, data))
        elif len(files) < MAX_ATTACHMENTS:
            kept = data if size <= MAX_ATTACHMENT_BYTES else None
            files.append(Attachment(name_or_kind, kind, size, kept))
    text = _tidy("\n\n".join(plain)) if plain else html_to_text("\n".join(html))
    subject = _one_line(str(message.get("Subject") or "")) or NO_SUBJECT
    message_id = _one_line(str(message.get("Message-ID") or "")) or None
    return InboundMail(
        message_id=message_id[:250] if message_id else None,
        sender=sender,
        sender_name=name,
        subject=subject,
        text=text,
        references=_references(message),
        bounce=_bounce(message, sender),
        automatic=_automatic(message),
        images=images,
        files=files,
    )


_QUOTE_HEAD = re.compile(
    r"^(On .+ wrote:|在.+写道[:：]|-----\s*(Original Message|原始邮件)\s*-----)$"
)


def reply_text(text: str) -> str:
    """A reply's own words: quoted lines (``>``) and everything from the line that introduces
    the quote (``On … wrote:``, ``在…写道：``, ``-----原始邮件-----``) left out."""
    kept: list[str] = []
    for line in text.split("\n"):
        if _QUOTE_HEAD.match(line.strip()):
            break
        if not line.lstrip().startswith(">"):
            kept.append(line)
    return _tidy("\n".join(kept))


def inbound_key(name: str) -> bool:
    return name.startswith(INBOUND_PREFIX) and len(name) > len(INBOUND_PREFIX)


def file_key(message_digest: str, n: int) -> str:
    return f"{FILES_PREFIX}{message_digest[:32]}/{n}"


# -- threads: the platform's mails about a case, and the replies to them ----------------------


def thread_token(case_id: str, salt: str) -> str:
    return hmac.new(salt.encode(), f"mail-thread:{case_id}".encode(), hashlib.sha256).hexdigest()[
        :20
    ]


def thread_id(case_id: str, salt: str, domain: str) -> str:
    """The message id every mail about the case names (``References``): a reply carries it."""
    return f"<wz.{case_id}.{thread_token(case_id, salt)}@{domain}>"


def threads_named(references: tuple[str, ...]) -> list[tuple[str, str]]:
    """(case id, token) of every platform thread id among ``references``; the caller checks
    each token against its case's salt."""
    found: list[tuple[str, str]] = []
    for ref in references:
        match = _THREAD.fullmatch(ref)
        if match:
            found.append((match.group(1), match.group(2)))
    return found


def names_case(case_id: str, token: str, salt: str) -> bool:
    return hmac.compare_digest(token, thread_token(case_id, salt))


def domain_of(address: str) -> str:
    return address.rpartition("@")[2] or "wenzheng.invalid"
