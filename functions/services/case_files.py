"""A mailed case's files (市长信箱, §17) for staff: the attachments that are not photos, kept
in the private uploads bucket under ``files/``, never served to the public nor through the
site's origin. A staff member who may see the case gets a presigned GET of one file, good for
``LINK_SECONDS`` and answered as a download (``Content-Disposition: attachment`` with the
original name, ``application/octet-stream``: never rendered); each one handed out is recorded
in the access log, as the auditors' reads are."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from functions.domain.errors import NotFound

if TYPE_CHECKING:
    from functions.services.staff_auth import StaffSession

LINK_SECONDS = 60  # the browser follows the link at once; a copied link dies within a minute


def _no_such_file() -> NotFound:
    return NotFound("未找到该附件", "no such file on this case", "file_not_found")


def disposition(name: str) -> str:
    """``attachment`` with the original name (RFC 6266: an ASCII fallback, and the UTF-8 name
    in ``filename*``)."""
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\;' else "_" for ch in name)
    return f"attachment; filename=\"{fallback or 'file'}\"; filename*=UTF-8''{quote(name, safe='')}"


def download(case_id: str, index: str, session: StaffSession, now: datetime) -> dict[str, Any]:
    """The presigned link to the case's file number ``index`` (its place in the staff view's
    ``files``). 404 for another county's case, an index the case does not have, or a file that
    was over the size cap (only its name and size were recorded)."""
    from functions.services import auditing, coordination
    from functions.storage import media_store

    case = coordination.load_scoped(case_id, session.county)
    if not index.isdigit() or int(index) >= len(case.files):
        raise _no_such_file()
    found = case.files[int(index)]
    if not found.key:
        raise NotFound(
            "该附件超过大小上限，未予保存",
            "the file was over the size cap: not kept",
            "file_not_kept",
        )
    auditing.record(session, "case-file", now, target=case_id, filter={"file": index})
    url = media_store.presigned_get(
        found.key,
        seconds=LINK_SECONDS,
        disposition=disposition(found.name),
        content_type="application/octet-stream",
    )
    expires = (now + timedelta(seconds=LINK_SECONDS)).isoformat().replace("+00:00", "Z")
    return {
        "url": url,
        "name": found.name,
        "content_type": found.content_type,
        "size": found.size,
        "expires_at": expires,
    }
