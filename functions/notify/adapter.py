"""The one adapter between the platform and its message providers: email through SES (v2
API) or an SMTP server, SMS through SNS or a domestic provider (Alibaba Cloud, Tencent Cloud),
chosen per stage by ``WZ_MAIL_PROVIDER`` and ``WZ_SMS_PROVIDER``
(functions/notify/providers/: one module each). SNS sends an SMS's text; a domestic provider
sends its approved template with the parameters (国内短信: template + parameters + 签名).

Failures come back as three kinds, because the outbox treats them differently:

- ``Throttled``: the provider asks us to slow down. Not the message's fault: it is
  rescheduled without counting an attempt, and the rest of the run leaves that channel alone.
- ``Refused``: the message can never be sent as it is (an SMS over one segment). It is
  dead-lettered at once, for a person.
- ``DeliveryFailed``: anything else (provider error, network). It counts an attempt and is
  retried with backoff until the attempts run out.

An error's text is kept on the message (``last_error``): it names the provider's error code
and a short, redacted reason, never a body, an address or a credential.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from email.message import EmailMessage
from email.policy import SMTP, EmailPolicy
from functools import cache
from html import escape
from typing import Any, Literal

from functions.notify.templates import QUOTE, SMS_LIMIT, one_line
from functions.settings import settings


class DeliveryFailed(Exception):
    """The provider refused or could not be reached; the outbox retries later."""


class Throttled(DeliveryFailed):
    """The provider is rate-limiting us, down, or out of reach: retry later without counting
    an attempt (an outage delays a message; it never uses up its attempts)."""


class Refused(DeliveryFailed):
    """The message cannot be sent as it is; retrying would not help."""


# SES v2 and SNS error codes that mean "slow down" rather than "this message failed".
_THROTTLE_CODES = frozenset({"TooManyRequestsException", "LimitExceededException"})
_THROTTLE_PREFIXES = ("Throttling", "Throttled")

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_DIGITS = re.compile(r"\+?\d{7,}")


@cache
def _client(service: Literal["sesv2", "sns"]) -> Any:
    import boto3  # only the outbox job pays for this import
    from botocore.config import Config

    config = Config(connect_timeout=3, read_timeout=10, retries={"max_attempts": 2})
    return boto3.client(service, region_name=settings().region, config=config)


def reset_clients() -> None:
    _client.cache_clear()


# The provider is down or paused, not refusing this message: wait without using up attempts.
_UNAVAILABLE_CODES = frozenset(
    {
        "ServiceUnavailable",
        "InternalFailure",
        "InternalError",
        "InternalServerError",
        "SendingPausedException",
        "ServiceUnavailableException",
        "KMSThrottlingException",
    }
)


def is_throttle(code: str) -> bool:
    return code in _THROTTLE_CODES or code.startswith(_THROTTLE_PREFIXES)


def redact(text: str, limit: int = 200) -> str:
    """A provider's reason, safe to keep: addresses and long numbers masked, cut short."""
    text = _EMAIL.sub("<address>", text)
    text = _DIGITS.sub("<number>", text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _failure(channel: str, error: Exception) -> DeliveryFailed:
    from botocore.exceptions import ClientError

    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        code = str(details.get("Code") or "Unknown")
        reason = redact(str(details.get("Message") or ""))
        text = f"{channel}: {code}: {reason}".rstrip(": ")
        unavailable = is_throttle(code) or code in _UNAVAILABLE_CODES
        return Throttled(text) if unavailable else DeliveryFailed(text)
    # BotoCoreError: network, timeouts. The provider is out of reach, not refusing this
    # message: like throttling, it delays the message without using up its attempts.
    return Throttled(f"{channel}: {type(error).__name__}: {redact(str(error))}")


_QUOTE_STYLE = (
    "margin:0.4em 0 0.8em;padding:0.3em 0.9em;border-left:4px solid #b8c4d4;"
    "background:#f4f6f9;color:#333"
)


def _is_quoted(line: str) -> bool:
    return line.lstrip(" ").startswith(QUOTE.rstrip())


def _unquoted(line: str) -> str:
    rest = line.lstrip(" ")[len(QUOTE.rstrip()) :]
    return rest[1:] if rest.startswith(" ") else rest


def _border(ch: str) -> bool:
    """Whether ``ch`` cannot continue a web address: white space or a character outside ASCII
    (Chinese punctuation, say)."""
    return ch.isspace() or not ch.isascii()


def _whole(line: str, start: int, end: int) -> bool:
    """Whether ``line[start:end]`` stands alone: not inside a longer address."""
    return (start == 0 or _border(line[start - 1])) and (end == len(line) or _border(line[end]))


def _linked(line: str, links: Sequence[str]) -> str:
    """A line of the platform's own text, escaped, with each of ``links`` where it stands
    whole (not the start of a longer address) made an anchor. Nothing else becomes a link."""
    parts: list[str] = []
    position = 0
    while position < len(line):
        found: tuple[int, str] | None = None
        for link in sorted(set(links), key=len, reverse=True):
            start = line.find(link, position)
            while start != -1 and not _whole(line, start, start + len(link)):
                start = line.find(link, start + 1)
            if start != -1 and (found is None or start < found[0]):
                found = (start, link)
        if found is None:
            break
        start, link = found
        parts.append(escape(line[position:start]))
        parts.append(f'<a href="{escape(link, quote=True)}">{escape(link)}</a>')
        position = start + len(link)
    parts.append(escape(line[position:]))
    return "".join(parts)


def html_body(text: str, title: str = "", links: Sequence[str] = ()) -> str:
    """The HTML part of an email, derived from its text: every character escaped, line breaks
    kept, quoted blocks (lines starting with ``QUOTE``: someone else's words) set apart as
    block quotes, and only ``links``, the platform's own links, made clickable, never inside a
    quoted block. An address anywhere else stays text. No styles or images from elsewhere."""
    chunks: list[str] = []  # each an HTML line, or a whole block quote
    quote: list[str] = []

    def close_quote() -> None:
        if quote:
            inner = "<br>\n".join(escape(q) for q in quote)
            chunks.append(f'<blockquote style="{_QUOTE_STYLE}">{inner}</blockquote>')
            quote.clear()

    lines = text.replace("\r\n", "\n").split("\n")
    for line in lines:
        if _is_quoted(line):
            quote.append(_unquoted(line))
            continue
        close_quote()
        chunks.append(_linked(line, [link for link in links if link]))
    close_quote()
    content = ""
    for n, chunk in enumerate(chunks):
        block = chunk.startswith("<blockquote")
        after_block = n > 0 and chunks[n - 1].startswith("<blockquote")
        if n > 0 and not block and not after_block:
            content += "<br>\n"
        elif n > 0:
            content += "\n"
        content += chunk
    return (
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n</head>\n"
        '<body style="font-family:sans-serif;font-size:15px;line-height:1.7;color:#1a1a1a">\n'
        f"<div>{content}</div>\n</body>\n</html>\n"
    )


# Headers whose value is one or more URLs in angle brackets (RFC 2369, RFC 8058): written as
# they are, on one line. Folded the usual way, a URL longer than a line would be cut into
# RFC 2047 encoded words, which no mail client reads back as a URL.
WHOLE_HEADERS = frozenset({"list-unsubscribe", "list-unsubscribe-post"})
_HEADER_VALUE = re.compile(r"[\x21-\x7e]+(?: [\x21-\x7e]+)*")
MAX_HEADER_LINE = 998  # RFC 5322's hard limit, CRLF excluded


class _Policy(EmailPolicy):
    """SMTP's policy, but the ``WHOLE_HEADERS`` go out unfolded and unencoded."""

    def fold_binary(self, name: str, value: str) -> bytes:
        if name.lower() in WHOLE_HEADERS:
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


_SMTP_WHOLE = _Policy(linesep="\r\n")  # email.policy.SMTP is the default with CRLF


def _checked_header(name: str, value: str) -> str:
    """An extra header as the platform wrote it: printable ASCII on one line within the line
    limit, or the message is refused (never sent with a header a reader would misread)."""
    if not _HEADER_VALUE.fullmatch(value) or len(name) + 2 + len(value) > MAX_HEADER_LINE:
        raise Refused(f"email: header {name} is not one line of printable ASCII")
    return value


def mime_message(
    sender: str,
    to: str,
    subject: str,
    body: str,
    links: Sequence[str] = (),
    headers: Sequence[tuple[str, str]] = (),
) -> bytes:
    """multipart/alternative: the text part first, the HTML part derived from it second.
    ``headers``: extra headers (a follower message's ``List-Unsubscribe`` and
    ``List-Unsubscribe-Post``), each printable ASCII, written on one line."""
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = to
    # A header may not hold a line break or a control character (a case title can).
    message["Subject"] = one_line(subject)
    for name, value in headers:
        message[name] = _checked_header(name, value)
    # base64 keeps the message 7-bit clean for every relay on the way.
    message.set_content(body, charset="utf-8", cte="base64")
    message.add_alternative(
        html_body(body, one_line(subject), links), subtype="html", charset="utf-8", cte="base64"
    )
    return message.as_bytes(policy=_SMTP_WHOLE) if headers else message.as_bytes()


def _tag_value(value: str) -> str:
    # SES message tags admit ASCII letters, digits, '_', '-', '.', '@' only.
    return re.sub(r"[^A-Za-z0-9_.@-]", "_", value)[:256]


def ascii_domain(address: str) -> str:
    """An address whose domain is internationalised (王小明@例子.中国) with the domain in its
    ASCII form (xn--…), as mail servers route it; the local part stays as written."""
    local, at, domain = address.rpartition("@")
    if not at or domain.isascii():
        return address
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError:
        return address


def send_email(
    to: str,
    subject: str,
    body: str,
    *,
    message_id: str,
    case_id: str | None = None,
    links: Sequence[str] = (),
    headers: Sequence[tuple[str, str]] = (),
) -> str:
    """Send one email; the outbox ``message_id`` and the ``case_id`` travel as SES message
    tags, so a bounce or complaint notification leads back to the message and the case.
    ``links``: the platform's links in ``body``, the only ones the HTML part makes live;
    ``headers``: extra headers, as ``mime_message`` takes them. Through SMTP the message
    id is the mail's ``Message-ID``."""
    to = ascii_domain(to)
    s = settings()
    if s.mail_provider == "smtp":
        from functions.notify.providers import smtp

        return smtp.send(to, subject, body, message_id=message_id, links=links, headers=headers)
    from botocore.exceptions import BotoCoreError, ClientError

    tags = [{"Name": "message_id", "Value": _tag_value(message_id)}]
    if case_id:
        tags.append({"Name": "case_id", "Value": _tag_value(case_id)})
    request: dict[str, Any] = {
        "FromEmailAddress": s.mail_sender,
        "Destination": {"ToAddresses": [to]},
        "Content": {
            "Raw": {"Data": mime_message(s.mail_sender, to, subject, body, links, headers)}
        },
        "EmailTags": tags,
    }
    if s.ses_configuration_set:
        request["ConfigurationSetName"] = s.ses_configuration_set
    try:
        answer = _client("sesv2").send_email(**request)
    except (BotoCoreError, ClientError) as error:
        raise _failure("email", error) from error
    return str(answer["MessageId"])


def awaits_receipt(channel: str) -> bool:
    """Whether a message sent on ``channel`` gets a delivery receipt later (a domestic SMS
    provider's; the receipts job reads it)."""
    return channel == "sms" and settings().sms_provider != "sns"


def send_sms(
    to: str,
    body: str,
    *,
    message_id: str = "",
    kind: str | None = None,
    params: Sequence[tuple[str, str]] = (),
) -> str:
    """Send one SMS of one segment. A longer text is refused, never split: a citizen must not
    get half a message, and a multi-part SMS costs several. Through a domestic provider the
    message is the approved template of its ``kind`` (``WZ_SMS_TEMPLATES``) with ``params``;
    a message without a kind, or a kind without a template, is refused, never sent as text."""
    provider = settings().sms_provider
    if provider != "sns":
        return _send_template(provider, to, message_id=message_id, kind=kind, params=params)
    from botocore.exceptions import BotoCoreError, ClientError

    if len(body) > SMS_LIMIT:
        raise Refused(
            f"sms: text of {len(body)} characters exceeds the {SMS_LIMIT}-character limit"
        )
    try:
        answer = _client("sns").publish(
            PhoneNumber=to,
            Message=body,
            MessageAttributes={
                "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
                "AWS.SNS.SMS.SenderID": {
                    "DataType": "String",
                    "StringValue": settings().sms_sender_id,
                },
            },
        )
    except (BotoCoreError, ClientError) as error:
        raise _failure("sms", error) from error
    return str(answer["MessageId"])


def _send_template(
    provider: str,
    to: str,
    *,
    message_id: str,
    kind: str | None,
    params: Sequence[tuple[str, str]],
) -> str:
    from functions.notify import providers, templates

    if not kind or kind not in templates.SMS_TEMPLATES:
        raise Refused(f"sms: no template kind on the message ({provider} sends templates only)")
    template = settings().sms_template(kind)
    if not template:
        raise Refused(f"sms: no approved template for kind {kind} in WZ_SMS_TEMPLATES")
    given = dict(params)
    names = templates.sms_param_names(kind)
    if set(given) != set(names):
        raise Refused(f"sms: parameters of {kind} are not {', '.join(names)}")
    request = providers.SmsRequest(
        message_id, to, template, kind, tuple((name, given[name]) for name in names)
    )
    return providers.sms_provider(provider).send(request)
