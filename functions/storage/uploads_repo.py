"""Upload slots (§13) in DynamoDB: one item per slot; processing marks it processed or
rejected, a submission attaches it to its case in the case's own transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from functions.domain.photos import ORPHAN_DAYS, PhotoState, upload_key
from functions.storage.models import UploadModel


@dataclass(frozen=True)
class Slot:
    upload_id: str
    key: str
    content_type: str
    size: int
    state: PhotoState
    case_id: str | None


def _slot(model: UploadModel) -> Slot:
    return Slot(
        upload_id=model.upload_id,
        key=model.key,
        content_type=model.content_type,
        size=int(model.size),
        state=PhotoState(model.state),
        case_id=model.case_id,
    )


def new_item(upload_id: str, content_type: str, size: int, now: datetime) -> UploadModel:
    return UploadModel(
        upload_id=upload_id,
        key=upload_key(upload_id),
        content_type=content_type,
        size=size,
        created_at=now,
        state=PhotoState.PENDING.value,
        expires_at=now + timedelta(days=ORPHAN_DAYS),
    )


def create(items: list[UploadModel]) -> None:
    """Write new slots (their ids are random: a collision is not expected, and refused)."""
    for item in items:
        item.save(condition=UploadModel.upload_id.does_not_exist())


def get(upload_id: str) -> Slot | None:
    try:
        return _slot(UploadModel.get(upload_id, consistent_read=True))
    except UploadModel.DoesNotExist:
        return None


def get_many(upload_ids: list[str]) -> dict[str, Slot]:
    """The slots that exist among ``upload_ids`` (one BatchGetItem), by id."""
    if not upload_ids:
        return {}
    found = UploadModel.batch_get(list(dict.fromkeys(upload_ids)), consistent_read=True)
    return {m.upload_id: _slot(m) for m in found}


def attach_update(slot: Slot, case_id: str) -> tuple[UploadModel, list[Action], Condition]:
    """The conditional update that attaches ``slot`` to ``case_id`` inside the case's
    transaction: the slot still exists, is not attached and is in the state it was read in
    (processing that finished meanwhile fails it, and the submission reads again)."""
    return (
        UploadModel(slot.upload_id),
        [UploadModel.case_id.set(case_id), UploadModel.expires_at.remove()],
        UploadModel.upload_id.exists()
        & UploadModel.case_id.does_not_exist()
        & (UploadModel.state == slot.state.value),
    )


def mark(
    upload_id: str,
    state: PhotoState,
    now: datetime,
    *,
    display_key: str | None = None,
    thumb_key: str | None = None,
    size: tuple[int, int] | None = None,
    reason: str | None = None,
) -> Slot | None:
    """Record processing's result on a pending slot; the slot as it is now (with the case it
    is attached to, if any), or None when there is no such slot. A slot processed already
    keeps its first result (S3 may deliver an event twice)."""
    actions: list[Action] = [
        UploadModel.state.set(state.value),
        UploadModel.processed_at.set(now),
    ]
    if display_key and thumb_key:
        actions += [UploadModel.display_key.set(display_key), UploadModel.thumb_key.set(thumb_key)]
    if size:
        actions += [UploadModel.width.set(size[0]), UploadModel.height.set(size[1])]
    if reason:
        actions.append(UploadModel.reason.set(reason))
    item = UploadModel(upload_id)
    try:
        item.update(
            actions=actions,
            condition=UploadModel.upload_id.exists()
            & (UploadModel.state == PhotoState.PENDING.value),
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        return get(upload_id)
    return _slot(item)


def record_on_case(case_id: str, upload_id: str, state: PhotoState) -> bool:
    """Record a processed (or rejected) upload on the case it is attached to: that photo's
    state in the case item, whose version moves on so that a transition read before this
    fails its condition instead of writing the old photo list back. False when the case does
    not hold the photo."""
    from functions.storage.models import CaseModel

    try:
        case = CaseModel.get(case_id, consistent_read=True)
    except CaseModel.DoesNotExist:
        return False
    ids = [_photo_id(p) for p in case.photos or []]
    if upload_id not in ids:
        return False
    index = ids.index(upload_id)
    entry = CaseModel.photos[index]  # type: ignore[index]
    try:
        CaseModel(case_id).update(
            actions=[entry["state"].set(state.value), CaseModel.version.add(1)],
            condition=entry["upload_id"] == upload_id,
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
        return False
    return True


def _photo_id(entry: object) -> str | None:
    if isinstance(entry, dict):
        return entry.get("upload_id")
    return getattr(entry, "upload_id", None)
