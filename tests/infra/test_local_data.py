"""The local stack's saved data (infra/local_data.py) on moto, without a stack: every table and
object read, written to the data folder in DynamoDB's export format, and put back into fresh
tables exactly as it was."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from infra.local_data import LocalData, SnapshotError, line_item, read, write_back

REGION = "ap-southeast-1"

# One item with every attribute type DynamoDB has, nested ones inside lists and maps.
EVERY_TYPE: dict[str, Any] = {
    "name": {"S": "每种类型 every type"},
    "value": {
        "M": {
            "text": {"S": "滨河路"},
            "count": {"N": "-12.5"},
            "raw": {"B": b"\x00\xffnot utf-8\x80"},
            "nested": {"L": [{"NULL": True}, {"BOOL": False}, {"M": {"deep": {"N": "7"}}}]},
        }
    },
    "number": {"N": "12345678901234567890"},
    "binary": {"B": bytes(range(256))},
    "strings": {"SS": ["甲", "乙", "b"]},
    "numbers": {"NS": ["1", "2.5", "-3"]},
    "binaries": {"BS": [b"\x01\x02", b"\xfe"]},
    "list": {"L": [{"S": "x"}, {"N": "1"}, {"B": b"\x00"}, {"SS": ["y"]}, {"L": []}]},
    "empty_map": {"M": {}},
    "flag": {"BOOL": True},
    "nothing": {"NULL": True},
}


def _clients() -> tuple[Any, Any]:
    import boto3

    return boto3.client("dynamodb", region_name=REGION), boto3.client("s3", region_name=REGION)


def _tables() -> dict[str, str]:
    from infra.local_data import model_tables

    return model_tables()


def _everything(dynamodb: Any, s3: Any) -> dict[str, Any]:
    """Every item of every table and every object, in an order that does not depend on moto."""
    items = {
        short: sorted(
            (
                item
                for page in dynamodb.get_paginator("scan").paginate(TableName=table)
                for item in page.get("Items", [])
            ),
            key=lambda item: json.dumps(item, sort_keys=True, default=repr),
        )
        for short, table in _tables().items()
    }
    objects = {}
    for bucket in s3.list_buckets()["Buckets"]:
        for entry in s3.list_objects_v2(Bucket=bucket["Name"]).get("Contents", []):
            got = s3.get_object(Bucket=bucket["Name"], Key=entry["Key"])
            objects[(bucket["Name"], entry["Key"])] = (
                got["Body"].read(),
                got["ContentType"],
                got.get("ServerSideEncryption"),
            )
    return {"items": items, "objects": objects}


def _fresh_account(dynamodb: Any, s3: Any) -> None:
    """What a new start has: the tables and the bucket, all empty."""
    from infra import bootstrap

    for table in _tables().values():
        dynamodb.delete_table(TableName=table)
    for bucket in s3.list_buckets()["Buckets"]:
        for entry in s3.list_objects_v2(Bucket=bucket["Name"]).get("Contents", []):
            s3.delete_object(Bucket=bucket["Name"], Key=entry["Key"])
    bootstrap.create_tables()


def _put_sample_data(dynamodb: Any, s3: Any) -> None:
    from functions.settings import settings

    dynamodb.put_item(TableName=_tables()["settings"], Item=EVERY_TYPE)
    s3.put_object(
        Bucket=settings().export_bucket,
        Key="exports/EX20261204-1A2B3C/cases-0001.jsonl",
        Body=b'{"case_id": "WZ20261204-AAAAAA"}\n',
        ContentType="application/x-ndjson; charset=utf-8",
        ServerSideEncryption="AES256",
    )
    s3.put_object(
        Bucket=settings().export_bucket,
        Key="odd key/../名单.csv",
        Body=b"a,b\n",
        ContentType="text/csv",
    )


def test_a_snapshot_puts_back_every_item_of_every_type_every_object_and_the_clock_offset(
    aws: None, tmp_path: Path
) -> None:
    dynamodb, s3 = _clients()
    _put_sample_data(dynamodb, s3)
    before = _everything(dynamodb, s3)
    assert before["items"]["departments"] and before["items"]["staff"]  # the test city too

    snapshot = read(dynamodb, s3)
    # Read through a backup of each table, restored beside it: neither is left behind.
    assert sorted(dynamodb.list_tables()["TableNames"]) == sorted(_tables().values())
    assert dynamodb.list_backups()["BackupSummaries"] == []
    snapshot.clock_offset = timedelta(days=-30, seconds=12.5)
    data = LocalData(tmp_path / "data")
    data.write(snapshot)
    _fresh_account(dynamodb, s3)
    assert _everything(dynamodb, s3)["items"]["settings"] == []

    restored = data.load()
    assert restored is not None
    write_back(restored, dynamodb, s3)
    assert _everything(dynamodb, s3) == before
    got = dynamodb.get_item(TableName=_tables()["settings"], Key={"name": EVERY_TYPE["name"]})
    assert got["Item"]["binary"] == {"B": bytes(range(256))}
    assert got["Item"]["value"]["M"]["raw"] == {"B": b"\x00\xffnot utf-8\x80"}
    assert restored.clock_offset == timedelta(days=-30, seconds=12.5)


def test_each_table_is_a_file_of_dynamodb_json_items_one_per_line(
    aws: None, tmp_path: Path
) -> None:
    dynamodb, s3 = _clients()
    _put_sample_data(dynamodb, s3)
    data = LocalData(tmp_path / "data")
    data.write(read(dynamodb, s3))

    folder = data.folder / "snapshot"
    assert {p.stem for p in (folder / "tables").glob("*.json")} == set(_tables())
    lines = (folder / "tables" / "settings.json").read_text(encoding="utf-8").splitlines()
    documents = [json.loads(line) for line in lines]
    assert all(list(d) == ["Item"] for d in documents)
    mine = next(d["Item"] for d in documents if d["Item"]["name"] == EVERY_TYPE["name"])
    assert mine["binary"] == {"B": base64.b64encode(bytes(range(256))).decode("ascii")}
    assert mine["binaries"] == {"BS": ["AQI=", "/g=="]} and mine["nothing"] == {"NULL": True}
    stored = dynamodb.get_item(TableName=_tables()["settings"], Key={"name": EVERY_TYPE["name"]})
    assert line_item(json.dumps({"Item": mine})) == stored["Item"]
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tables"]["settings"]["items"] == len(lines)
    files = {o["key"]: o["file"] for o in manifest["objects"]}
    assert files["exports/EX20261204-1A2B3C/cases-0001.jsonl"].endswith(
        "/exports/EX20261204-1A2B3C/cases-0001.jsonl"
    )
    # A key that is not a plain path is kept under a numbered name, inside the snapshot.
    odd = folder / files["odd key/../名单.csv"]
    assert odd.read_bytes() == b"a,b\n" and folder in odd.resolve().parents


def test_a_save_that_fails_midway_leaves_the_previous_snapshot_whole(
    aws: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from infra import local_data

    dynamodb, s3 = _clients()
    data = LocalData(tmp_path / "data")
    data.write(read(dynamodb, s3))
    first = data.load()
    assert first is not None

    _put_sample_data(dynamodb, s3)
    written: list[Path] = []
    real_write = local_data._write

    def disk_full(path: Path, content: bytes | str) -> None:
        if len(written) == 3:
            raise OSError(28, "No space left on device")
        written.append(path)
        real_write(path, content)

    monkeypatch.setattr(local_data, "_write", disk_full)
    with pytest.raises(OSError):
        data.write(read(dynamodb, s3))
    monkeypatch.undo()

    kept = data.load()
    assert kept is not None and kept.tables == first.tables and kept.objects == []
    assert data.latest() == data.folder / "snapshot"  # the half-written one is never taken


def test_a_crash_between_the_renames_restores_the_snapshot_set_aside(
    aws: None, tmp_path: Path
) -> None:
    dynamodb, s3 = _clients()
    data = LocalData(tmp_path / "data")
    data.write(read(dynamodb, s3))
    (data.folder / "snapshot").rename(data.folder / "snapshot.old")  # then the power went

    assert data.latest() == data.folder / "snapshot.old"
    found = data.load()
    assert found is not None and found.tables["staff"]
    data.write(found)
    assert data.latest() == data.folder / "snapshot"
    assert not (data.folder / "snapshot.old").exists()


def test_a_fresh_start_moves_the_snapshot_to_backups(aws: None, tmp_path: Path) -> None:
    dynamodb, s3 = _clients()
    data = LocalData(tmp_path / "data")
    assert data.set_aside() is None  # nothing saved yet: nothing to move
    data.write(read(dynamodb, s3))
    at = datetime(2026, 12, 4, 19, 25, tzinfo=UTC)
    moved = data.set_aside(at)
    data.write(read(dynamodb, s3))
    again = data.set_aside(at)  # in the same second: beside the first, not over it

    assert moved == data.folder / "backups" / "20261204T192500Z"
    assert again == data.folder / "backups" / "20261204T192500Z-2"
    assert data.latest() is None and data.load() is None
    assert LocalData(tmp_path / "data").load(moved) is not None  # the backup is a snapshot


def test_an_unreadable_snapshot_is_an_error_naming_its_folder(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "snapshot"
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text('{"format": 1, "tables": {"cases": {"file": "x"}}}')
    with pytest.raises(SnapshotError, match="snapshot"):
        LocalData(tmp_path / "data").load()


def test_a_second_stack_on_the_same_data_folder_is_refused(tmp_path: Path) -> None:
    from infra.local_data import InUse

    first, second = LocalData(tmp_path / "data"), LocalData(tmp_path / "data")
    first.lock()
    try:
        with pytest.raises(InUse):
            second.lock()
    finally:
        first.unlock()
    second.lock()
    second.unlock()


def _signed(key: str) -> dict[str, str]:
    return {
        "HTTP_AUTHORIZATION": f"AWS4-HMAC-SHA256 Credential={key}/20261204/x/dynamodb/aws4_request"
    }


def test_the_gate_shuts_only_after_the_requests_in_flight_and_holds_the_others() -> None:
    """A snapshot's copies are of one moment: a request already inside moto finishes first, and
    one arriving meanwhile waits until the copies are made."""
    import threading

    from infra.local_data import SNAPSHOT_KEY, Gate

    calls: list[str] = []
    inside, release = threading.Event(), threading.Event()

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        name = environ["name"]
        calls.append(f"{name} in")
        if name == "slow":
            inside.set()
            release.wait(30)
        calls.append(f"{name} out")
        return [b""]

    gate = Gate(app)

    def request(name: str, key: str = "local") -> threading.Thread:
        thread = threading.Thread(target=gate, args=({"name": name, **_signed(key)}, None))
        thread.start()
        return thread

    def snapshot() -> None:
        with gate.shut():
            calls.append("copy start")
            gate({"name": "copy", **_signed(SNAPSHOT_KEY)}, None)
            calls.append("copy end")

    slow = request("slow")
    inside.wait(30)
    copier = threading.Thread(target=snapshot)
    copier.start()
    for _ in range(3000):  # until the snapshot has shut the gate and waits for "slow"
        if gate._holder is not None:
            break
        threading.Event().wait(0.01)
    late = request("late")
    release.set()
    for thread in (slow, copier, late):
        thread.join(30)
    assert calls == [
        "slow in",
        "slow out",
        "copy start",
        "copy in",
        "copy out",
        "copy end",
        "late in",
        "late out",
    ]
