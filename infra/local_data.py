"""What `make run` keeps between runs: every table, every S3 object and the platform clock's
offset, saved in a data folder (``.data/local/`` by default) and put back on the next start.

A snapshot is a folder:

    snapshot/manifest.json         when it was taken, what it holds, the clock offset
    snapshot/tables/<name>.json    one table in DynamoDB's export format: DynamoDB JSON, one
                                   ``{"Item": {...}}`` document per line (binary values base64)
    snapshot/s3/<bucket>/<key>     the objects, their content types in the manifest

The tables are the models' (``ALL_MODELS``), named without the stage's prefix, so a new model
is saved with no change here. A snapshot is written whole into ``snapshot.new/`` and then
renamed into place, so a crash while writing leaves the previous one as it was; a crash
between the two renames leaves it as ``snapshot.old/``, which is read when ``snapshot/`` is
missing. ``--fresh`` moves the snapshot to ``backups/<time>/`` instead of deleting it.

Reading and writing go through the embedded moto with boto3's low-level clients (backups,
scans with paging, batch writes), whose DynamoDB JSON is the file format as it is. While a
running stack's tables are copied (``read``), ``Gate`` holds every other request to moto, so
the snapshot is of one moment: no transaction lands between copying the cases and copying
their events.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import json
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

FORMAT = 1
# The access key the snapshot's own requests carry: ``Gate`` lets only these through while the
# tables are being copied. moto keeps every key's data in its one default account.
SNAPSHOT_KEY = "local-snapshot"
BATCH = 25  # BatchWriteItem's limit
PAGE = 100  # items per scan page of a table's copy
_SAFE_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")


class SnapshotError(Exception):
    """A snapshot that cannot be read back as it is."""


class InUse(Exception):
    """Another stack is running on the same data folder."""


# --- the file format ---------------------------------------------------------------------------


def _encode(value: dict[str, Any]) -> dict[str, Any]:
    """An AttributeValue as botocore returns it, made JSON: binary values become base64, as in
    DynamoDB's own export. Everything else (N as a string, SS/NS as lists) already is."""
    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": base64.b64encode(inner).decode("ascii")}
    if kind == "BS":
        return {"BS": [base64.b64encode(b).decode("ascii") for b in inner]}
    if kind == "L":
        return {"L": [_encode(v) for v in inner]}
    if kind == "M":
        return {"M": {k: _encode(v) for k, v in inner.items()}}
    return {kind: inner}


def _decode(value: dict[str, Any]) -> dict[str, Any]:
    ((kind, inner),) = value.items()
    if kind == "B":
        return {"B": base64.b64decode(inner)}
    if kind == "BS":
        return {"BS": [base64.b64decode(b) for b in inner]}
    if kind == "L":
        return {"L": [_decode(v) for v in inner]}
    if kind == "M":
        return {"M": {k: _decode(v) for k, v in inner.items()}}
    return {kind: inner}


def item_line(item: dict[str, Any]) -> str:
    return json.dumps(
        {"Item": {k: _encode(v) for k, v in item.items()}}, ensure_ascii=False, sort_keys=True
    )


def line_item(line: str) -> dict[str, Any]:
    return {k: _decode(v) for k, v in json.loads(line)["Item"].items()}


# --- reading and writing through moto ----------------------------------------------------------


@dataclass(frozen=True)
class StoredObject:
    bucket: str
    key: str
    content_type: str
    body: bytes
    encryption: str | None = None


@dataclass
class Snapshot:
    """Everything a stack keeps, in memory, between reading it and writing it to disk."""

    tables: dict[str, list[dict[str, Any]]]  # short table name → items (DynamoDB JSON)
    objects: list[StoredObject]
    clock_offset: timedelta = timedelta(0)
    samples: list[dict[str, str]] = field(default_factory=list)  # the banner's demo cases
    taken_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def item_count(self) -> int:
        return sum(len(items) for items in self.tables.values())


def model_tables() -> dict[str, str]:
    """Short name → table name, for every model of the platform."""
    from functions.settings import settings
    from functions.storage.models import ALL_MODELS

    prefix = settings().table_prefix
    return {m.Meta.table_name.removeprefix(prefix): m.Meta.table_name for m in ALL_MODELS}


def read(
    dynamodb: Any,
    s3: Any,
    still: Callable[[], contextlib.AbstractContextManager[Any]] = contextlib.nullcontext,
) -> Snapshot:
    """Every item of every model's table and every object of every bucket, as of one moment.

    Inside ``still`` (the stack's requests held, ``Gate.shut``) each table is copied by
    DynamoDB's own on-demand backup, which is quick, and the objects are read. Then, with the
    stack running again, each backup is restored as a table of its own, scanned in small pages
    (moto answers one request at a time, and a page of a few hundred items takes it a second
    to serialise), and dropped with its backup."""
    tables = model_tables()
    backups: dict[str, str] = {}
    try:
        with still():
            for short, table in tables.items():
                answer = dynamodb.create_backup(TableName=table, BackupName=f"{short}-snapshot")
                backups[short] = answer["BackupDetails"]["BackupArn"]
            objects = _objects(s3)
        items = {
            short: _backup_items(dynamodb, arn, f"{tables[short]}-snapshot")
            for short, arn in backups.items()
        }
    finally:
        for arn in backups.values():
            dynamodb.delete_backup(BackupArn=arn)
    return Snapshot(items, objects)


def _backup_items(dynamodb: Any, backup_arn: str, copy: str) -> list[dict[str, Any]]:
    dynamodb.restore_table_from_backup(TargetTableName=copy, BackupArn=backup_arn)
    try:
        dynamodb.get_waiter("table_exists").wait(TableName=copy, WaiterConfig={"Delay": 1})
        pages = dynamodb.get_paginator("scan").paginate(
            TableName=copy, ConsistentRead=True, PaginationConfig={"PageSize": PAGE}
        )
        return [item for page in pages for item in page.get("Items", [])]
    finally:
        dynamodb.delete_table(TableName=copy)


def _objects(s3: Any) -> list[StoredObject]:
    objects: list[StoredObject] = []
    for bucket in s3.list_buckets().get("Buckets", []):
        name = bucket["Name"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
            for entry in page.get("Contents", []):
                got = s3.get_object(Bucket=name, Key=entry["Key"])
                objects.append(
                    StoredObject(
                        name,
                        entry["Key"],
                        got.get("ContentType", "binary/octet-stream"),
                        got["Body"].read(),
                        got.get("ServerSideEncryption"),
                    )
                )
    return objects


def write_back(snapshot: Snapshot, dynamodb: Any, s3: Any) -> None:
    """Put a snapshot's items into the (existing, empty) tables and its objects into S3,
    creating a bucket that does not exist yet. A table no model names any more is skipped."""
    from functions.settings import settings

    tables = model_tables()
    for short, items in snapshot.tables.items():
        table = tables.get(short)
        if table is None:
            continue
        for start in range(0, len(items), BATCH):
            requests = [{"PutRequest": {"Item": item}} for item in items[start : start + BATCH]]
            pending: dict[str, Any] = {table: requests}
            while pending:
                answer = dynamodb.batch_write_item(RequestItems=pending)
                pending = answer.get("UnprocessedItems") or {}
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for stored in snapshot.objects:
        if stored.bucket not in existing:
            s3.create_bucket(
                Bucket=stored.bucket,
                CreateBucketConfiguration={"LocationConstraint": settings().region},
            )
            existing.add(stored.bucket)
        extra = {"ServerSideEncryption": stored.encryption} if stored.encryption else {}
        s3.put_object(
            Bucket=stored.bucket,
            Key=stored.key,
            Body=stored.body,
            ContentType=stored.content_type,
            **extra,
        )


def clients(endpoint: str, region: str) -> tuple[Any, Any]:
    """DynamoDB and S3 clients on the embedded moto, carrying ``SNAPSHOT_KEY``."""
    import boto3

    session = boto3.session.Session(
        aws_access_key_id=SNAPSHOT_KEY, aws_secret_access_key="local", region_name=region
    )
    return (
        session.client("dynamodb", endpoint_url=endpoint),
        session.client("s3", endpoint_url=endpoint),
    )


# --- the data folder ---------------------------------------------------------------------------


def _object_file(key: str, index: int) -> str:
    """Where an object lives inside ``s3/<bucket>/``: its key when every segment is a plain
    name, else a numbered file (the key is in the manifest either way)."""
    segments = key.split("/")
    if all(_SAFE_SEGMENT.fullmatch(s) for s in segments):
        return key
    return f"_objects/{index:06d}"


def _write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        f.write(data.encode("utf-8") if isinstance(data, str) else data)
        f.flush()
        os.fsync(f.fileno())


def _sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalData:
    """The data folder of one local stack."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._lock: IO[bytes] | None = None

    @property
    def current(self) -> Path:
        return self.folder / "snapshot"

    def lock(self) -> None:
        """Hold the folder for this process: a second stack on the same folder would write
        its snapshots over this one's."""
        self.folder.mkdir(parents=True, exist_ok=True)
        handle = (self.folder / ".lock").open("wb")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise InUse(f"another local stack is running on {self.folder}") from None
        self._lock = handle

    def unlock(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def latest(self) -> Path | None:
        """The snapshot to restore: ``snapshot/``, or ``snapshot.old/`` when a crash came
        between setting the old one aside and renaming the new one into place."""
        for candidate in (self.current, self.folder / "snapshot.old"):
            if (candidate / "manifest.json").is_file():
                return candidate
        return None

    def set_aside(self, now: datetime | None = None) -> Path | None:
        """Move the snapshot to ``backups/<UTC time>/`` (a fresh start); None when there
        was nothing to move."""
        found = self.latest()
        if found is None:
            return None
        stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
        target = self.folder / "backups" / stamp
        n = 1
        while target.exists():
            n += 1
            target = self.folder / "backups" / f"{stamp}-{n}"
        target.parent.mkdir(parents=True, exist_ok=True)
        found.rename(target)
        return target

    def write(self, snapshot: Snapshot) -> Path:
        """Write ``snapshot`` whole beside the current one, then rename it into place."""
        self.folder.mkdir(parents=True, exist_ok=True)
        new, old = self.folder / "snapshot.new", self.folder / "snapshot.old"
        shutil.rmtree(new, ignore_errors=True)
        tables: dict[str, dict[str, Any]] = {}
        for short, items in sorted(snapshot.tables.items()):
            name = f"tables/{short}.json"
            _write(new / name, "".join(item_line(item) + "\n" for item in items))
            tables[short] = {"file": name, "items": len(items)}
        objects: list[dict[str, Any]] = []
        for index, stored in enumerate(snapshot.objects):
            name = f"s3/{stored.bucket}/{_object_file(stored.key, index)}"
            _write(new / name, stored.body)
            objects.append(
                {
                    "bucket": stored.bucket,
                    "key": stored.key,
                    "file": name,
                    "content_type": stored.content_type,
                    "encryption": stored.encryption,
                }
            )
        manifest = {
            "format": FORMAT,
            "taken_at": snapshot.taken_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "tables": tables,
            "objects": objects,
            "clock_offset_seconds": snapshot.clock_offset.total_seconds(),
            "samples": snapshot.samples,
        }
        # Written last: a folder without a manifest is never taken for a snapshot.
        _write(new / "manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
        shutil.rmtree(old, ignore_errors=True)
        if self.current.exists():
            self.current.rename(old)
        new.rename(self.current)
        _sync_dir(self.folder)
        shutil.rmtree(old, ignore_errors=True)
        return self.current

    def load(self, folder: Path | None = None) -> Snapshot | None:
        """The latest snapshot, read from disk; None when there is none."""
        folder = folder or self.latest()
        if folder is None:
            return None
        try:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            if manifest.get("format") != FORMAT:
                raise SnapshotError(f"{folder}: unknown format {manifest.get('format')!r}")
            tables = {
                short: [
                    line_item(line)
                    for line in (folder / entry["file"]).read_text(encoding="utf-8").splitlines()
                    if line.strip()
                ]
                for short, entry in manifest["tables"].items()
            }
            objects = [
                StoredObject(
                    o["bucket"],
                    o["key"],
                    o["content_type"],
                    (folder / o["file"]).read_bytes(),
                    o.get("encryption"),
                )
                for o in manifest["objects"]
            ]
            taken = datetime.fromisoformat(manifest["taken_at"].replace("Z", "+00:00"))
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise SnapshotError(f"{folder}: {error}") from error
        return Snapshot(
            tables,
            objects,
            timedelta(seconds=float(manifest.get("clock_offset_seconds", 0))),
            list(manifest.get("samples", [])),
            taken,
        )


# --- holding moto still while it is read -------------------------------------------------------


def _access_key(environ: dict[str, Any]) -> str | None:
    found = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    return found.group(1) if found else None


class Gate:
    """moto's WSGI app behind a gate: one request at a time (moto is not thread-safe: a
    transaction deep-copies the tables for its rollback while another request thread may be
    changing them, "dictionary changed size during iteration" under a burst, tests/load), and,
    while ``shut``, only the requests signed with the holder's key: the others wait, and
    the gate shuts only once those already admitted are done."""

    def __init__(
        self, app: Callable[..., Iterable[bytes]], after: Callable[[], None] | None = None
    ) -> None:
        self._app = app
        self._after = after  # run after each request, still one at a time
        self._one = threading.Lock()
        self._state = threading.Condition()
        self._holder: str | None = None
        self._others = 0  # admitted requests not the holder's, still running

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        key = _access_key(environ)
        with self._state:
            self._state.wait_for(lambda: self._holder is None or key == self._holder)
            counted = key != self._holder
            if counted:
                self._others += 1
        try:
            with self._one:
                try:
                    return list(self._app(environ, start_response))
                finally:
                    if self._after is not None:
                        self._after()
        finally:
            if counted:
                with self._state:
                    self._others -= 1
                    self._state.notify_all()

    @contextlib.contextmanager
    def shut(self, key: str = SNAPSHOT_KEY) -> Iterator[None]:
        with self._state:
            self._state.wait_for(lambda: self._holder is None)
            self._holder = key
            self._state.wait_for(lambda: self._others == 0)
        try:
            yield
        finally:
            with self._state:
                self._holder = None
                self._state.notify_all()


@dataclass(frozen=True)
class Saved:
    path: Path
    items: int
    objects: int
    held_seconds: float  # the stack's requests to moto waited at most this long
    read_seconds: float
    write_seconds: float


log = logging.getLogger("wenzheng.local")


class Keeper:
    """What `make run` does with its data folder: hold it (one stack per folder), set it
    aside for a fresh start, put it back before the site opens, save it every few minutes and
    on the way out. Without a folder (``--ephemeral``, the test suites' stacks) it keeps
    nothing: the data lives as long as the process."""

    def __init__(self, folder: Path | None) -> None:
        self.data = LocalData(folder) if folder is not None else None
        self.samples: list[dict[str, str]] = []  # the banner's demo cases, kept with the data
        self._dynamodb: Any = None
        self._s3: Any = None
        self._gate: Gate | None = None

    def open(self, *, fresh: bool) -> tuple[Snapshot | None, Path | None]:
        """Hold the folder; with ``fresh``, move its snapshot to the backups first. Returns
        the snapshot to restore (None: a fresh start) and where a fresh start moved the old
        one. Raises ``InUse`` or ``SnapshotError``."""
        if self.data is None:
            return None, None
        self.data.lock()
        moved = self.data.set_aside() if fresh else None
        return self.data.load(), moved

    def connect(self, endpoint: str, region: str, gate: Gate) -> None:
        self._dynamodb, self._s3 = clients(endpoint, region)
        self._gate = gate

    def restore(self, snapshot: Snapshot) -> None:
        """Put a snapshot back into the (new, empty) tables and buckets, and the platform
        clock where it was; the demo cases keep their tracking codes, with today's states."""
        from functions import clock
        from functions.storage import cases_repo, directory

        started = time.monotonic()
        write_back(snapshot, self._dynamodb, self._s3)
        clock.set_offset(snapshot.clock_offset)
        directory.clear_cache()
        self.samples = []
        for sample in snapshot.samples:
            case = cases_repo.get(sample["case_id"])
            if case is not None:
                self.samples.append({**sample, "state": case.state.value})
        log.info(
            "restored %d items and %d objects in %.2f s",
            snapshot.item_count,
            len(snapshot.objects),
            time.monotonic() - started,
        )

    def save(self) -> Saved | None:
        """Read the running stack (its requests held only while the tables are copied) and
        write the snapshot."""
        from functions import clock

        if self.data is None:
            return None
        started, held = time.monotonic(), [0.0]

        @contextlib.contextmanager
        def still() -> Iterator[None]:
            shut = time.monotonic()
            with self._gate.shut() if self._gate is not None else contextlib.nullcontext():
                yield
            held[0] = time.monotonic() - shut

        snapshot = read(self._dynamodb, self._s3, still)
        snapshot.clock_offset = clock.offset()
        snapshot.samples = self.samples
        read_done = time.monotonic()
        saved = Saved(
            self.data.write(snapshot),
            snapshot.item_count,
            len(snapshot.objects),
            held[0],
            read_done - started,
            time.monotonic() - read_done,
        )
        log.info(
            "saved %d items and %d objects to %s (requests held %.2f s, read %.2f s, "
            "written %.2f s)",
            saved.items,
            saved.objects,
            saved.path,
            saved.held_seconds,
            saved.read_seconds,
            saved.write_seconds,
        )
        return saved

    def keep_saving(self, stop: threading.Event, every: float) -> threading.Thread:
        """A snapshot every ``every`` seconds until ``stop``, so a crash (or a closed
        terminal) loses at most that much; a failed one is logged and the previous stays."""

        def run() -> None:
            while not stop.wait(every):
                try:
                    self.save()
                except Exception:  # the stack goes on; the next round tries again
                    log.exception("saving the local data failed; the previous snapshot stays")

        thread = threading.Thread(target=run, name="local-data", daemon=True)
        if self.data is not None:
            thread.start()
        return thread

    def save_at_exit(self) -> bool:
        """The last snapshot, once nothing writes any more; False when it failed."""
        if self.data is None:
            return True
        print(f"saving the data to {self.data.folder} …", flush=True)
        try:
            self.save()
        except Exception:
            log.exception("saving the local data failed; the previous snapshot stays")
            return False
        return True

    def close(self) -> None:
        if self.data is not None:
            self.data.unlock()
