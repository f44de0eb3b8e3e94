"""The tamper-evident history (§2, §8): every event of a case is sealed with the SHA-256 of its
canonical JSON, which includes the previous event's hash, and the case holds the last hash
(the head). Changing, deleting, inserting or reordering any stored event breaks the chain
at that event; dropping events from the end no longer reaches the head.

Contact data is never in an event: the first event carries a salted digest of it (a
reference), and the salt lives on the case until the retention job removes the contact and
the salt together. The chain stays valid after anonymisation, and the digest of an 11-digit
phone number cannot be reversed once the salt is gone.

Pure: no storage, no clock."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from functions.domain.cases import Case, Event
from functions.domain.hashes import (
    GENESIS,
    case_text_digest,
    contact_reference,
    text_digest,
)
from functions.domain.lifecycle import EventType


@dataclass(frozen=True)
class Link:
    """A stored event with its place in the chain."""

    seq: int
    event: Event
    hash: str
    prev_hash: str


def _instant(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def canonical(case_id: str, seq: int, event: Event, prev_hash: str) -> bytes:
    """The bytes an event's hash is taken over: sorted keys, no whitespace, UTF-8."""
    document: dict[str, Any] = {
        "case_id": case_id,
        "seq": seq,
        "type": str(event.type),
        "at": _instant(event.at),
        "actor": {"role": event.actor.role.value, "id": event.actor.id, "name": event.actor.name},
        "from_state": event.from_state.value if event.from_state else None,
        "to_state": event.to_state.value,
        "note": event.note,
        "data": {k: str(v) for k, v in event.data.items()},
        "prev": prev_hash,
    }
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def event_hash(case_id: str, seq: int, event: Event, prev_hash: str) -> str:
    return hashlib.sha256(canonical(case_id, seq, event, prev_hash)).hexdigest()


def seal(case_id: str, first_seq: int, prev_hash: str, events: Sequence[Event]) -> list[Link]:
    """Chain new events onto ``prev_hash`` (the case's head before them)."""
    links: list[Link] = []
    for offset, event in enumerate(events):
        seq = first_seq + offset
        digest = event_hash(case_id, seq, event, prev_hash)
        links.append(Link(seq, event, digest, prev_hash))
        prev_hash = digest
    return links


# --- verification ---------------------------------------------------------------------------

PROBLEMS = {
    "missing": "第 {seq} 条记录缺失（被删除）",
    "unexpected": "第 {seq} 条记录不应存在（被插入或追加）",
    "modified": "第 {seq} 条记录内容与其哈希不符（被修改）",
    "relinked": "第 {seq} 条记录与前一条的哈希链接断开（被插入、删除或调换顺序）",
    "head": "案件记录的链头哈希与最后一条记录不符（记录被截断或替换）",
}


@dataclass(frozen=True)
class Break:
    seq: int
    problem: str  # a key of PROBLEMS

    @property
    def message(self) -> str:
        return PROBLEMS[self.problem].format(seq=self.seq)


def first_break(
    case_id: str, head_hash: str, event_count: int, links: Sequence[Link]
) -> Break | None:
    """Walk the stored events in ``seq`` order and report the first broken link, or None when
    the chain is whole from the genesis to the case's head."""
    prev = GENESIS
    expected_seq = 1
    for link in sorted(links, key=lambda x: x.seq):
        if link.seq > expected_seq:
            return Break(expected_seq, "missing")
        if link.seq < expected_seq:  # a duplicate sequence number
            return Break(link.seq, "unexpected")
        if link.seq > event_count:
            return Break(link.seq, "unexpected")
        if link.prev_hash != prev:
            return Break(link.seq, "relinked")
        if event_hash(case_id, link.seq, link.event, prev) != link.hash:
            return Break(link.seq, "modified")
        prev = link.hash
        expected_seq += 1
    if expected_seq <= event_count:
        return Break(expected_seq, "missing")
    if prev != head_hash:
        return Break(event_count, "head")
    return None


@dataclass(frozen=True)
class Verification:
    valid: bool
    checked: int
    broken: Break | None
    facts: dict[str, str]  # fact → "matches" | "mismatch" | "anonymised"


def _latest(links: Sequence[Link], *types: EventType) -> Link | None:
    return next((x for x in reversed(links) if x.event.type in types), None)


def check_facts(case: Case, links: Sequence[Link]) -> dict[str, str]:
    """The case's own record against what the chain says about it: the citizen's text (as
    submitted, or as scrubbed by anonymisation), the contact data (while it exists), the
    coordinator's 公开版本 against its last edit, and every reply's text, so a reply
    rewritten in the case record after the fact shows."""
    ordered = sorted(links, key=lambda x: x.seq)
    facts: dict[str, str] = {}
    text_event = _latest(ordered, EventType.SUBMITTED, EventType.ANONYMISED)
    if text_event is not None and "text_sha256" in text_event.event.data:
        same = text_event.event.data["text_sha256"] == case_text_digest(case.title, case.content)
        facts["text"] = "matches" if same else "mismatch"
    submitted = _latest(ordered, EventType.SUBMITTED)
    reference = submitted.event.data.get("contact_ref") if submitted else None
    if case.anonymised_at is not None:
        facts["contact"] = "anonymised"
    elif reference and case.contact_salt:
        c = case.contact
        same = contact_reference(case.contact_salt, c.name, c.phone, c.email) == reference
        facts["contact"] = "matches" if same else "mismatch"
    edited = _latest(ordered, EventType.PUBLIC_VERSION_EDITED)
    public = case.public_version
    if edited is not None or public is not None:
        sealed = edited.event.data.get("text_sha256") if edited else None
        same = public is not None and sealed == case_text_digest(public.title, public.content)
        facts["public_version"] = "matches" if same else "mismatch"
    replied = [x.event for x in ordered if x.event.type == EventType.REPLIED]
    if case.replies or replied:
        digests = [e.data.get("text_sha256") for e in replied]
        actual = [text_digest(r.text) for r in case.replies]
        facts["replies"] = "matches" if digests == actual else "mismatch"
    return facts


def verify(case: Case, links: Sequence[Link]) -> Verification:
    broken = first_break(case.case_id, case.head_hash, case.event_count, links)
    facts = check_facts(case, links)
    valid = broken is None and "mismatch" not in facts.values()
    return Verification(valid, len(links), broken, facts)
