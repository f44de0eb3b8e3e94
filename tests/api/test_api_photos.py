"""Photos (§13) through the API: upload slots (presigned POST conditions, limits), the
S3-event processing as S3 invokes it, attaching slots in the submission's transaction, and
what the public, staff and the citizen see."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from chalice.test import Client

from tests.api.helpers import Answer, Api
from tests.photo_files import camera_heic, camera_jpeg, has_metadata

JPEG = {"content_type": "image/jpeg", "size": 2048}


def slots(api: Api, *files: dict[str, Any]) -> Answer:
    return api.post("/api/uploads", {"files": list(files)})


def policy(upload: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(base64.b64decode(upload["fields"]["policy"]))
    return found


def s3() -> Any:
    import boto3

    from functions.settings import settings

    return boto3.client("s3", region_name=settings().region)


def posted(client: Client, upload_id: str, data: bytes) -> str:
    """The browser's POST (the object arrives), then S3's event for it; the processing's
    answer."""
    from functions.settings import settings

    bucket, key = settings().uploads_bucket, f"uploads/{upload_id}"
    s3().put_object(Bucket=bucket, Key=key, Body=data, ContentType="image/jpeg")
    event = client.events.generate_s3_event(bucket=bucket, key=key)
    [outcome] = client.lambda_.invoke("process_upload", event).payload
    return str(outcome)


def uploaded(api: Api, client: Client, data: bytes, content_type: str = "image/jpeg") -> str:
    [upload] = api.ok(slots(api, {"content_type": content_type, "size": len(data)}))["uploads"]
    posted(client, upload["upload_id"], data)
    return str(upload["upload_id"])


def stored_object(key: str) -> bytes:
    from functions.settings import settings

    body: bytes = s3().get_object(Bucket=settings().uploads_bucket, Key=key)["Body"].read()
    return body


# -- slots ---------------------------------------------------------------------------------------


def test_slot_is_a_presigned_post_bound_to_the_claimed_type_and_exact_size(api: Api) -> None:
    answer = api.ok(slots(api, JPEG, {"content_type": "image/png", "size": 10 * 1024 * 1024}))
    first, second = answer["uploads"]
    assert first["upload_id"] != second["upload_id"]
    assert first["expires_at"] == "2026-11-02T02:15:00Z"  # 15 minutes
    assert first["fields"]["key"] == f"uploads/{first['upload_id']}"
    assert first["fields"]["Content-Type"] == "image/jpeg"
    conditions = policy(first)["conditions"]
    assert {"Content-Type": "image/jpeg"} in conditions
    assert ["content-length-range", 2048, 2048] in conditions
    assert ["content-length-range", 10485760, 10485760] in policy(second)["conditions"]


def _post_url(stage: str) -> str:
    """``WZ_UPLOADS_POST_URL`` as each kind of stack sets it."""
    from infra import template
    from tests.infra.aws_calls import resolve

    if stage == "local":
        return "/uploads"  # infra/local_stack.py: its own origin (infra/local_media.py)
    built = template.build("prod", "cn-northwest-1" if stage == "china" else None)
    variables = built["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    return str(resolve(variables["WZ_UPLOADS_POST_URL"], built, {}))


@pytest.mark.parametrize(
    ("stage", "url"),
    [
        ("global", "https://wenzheng-prod-uploads.s3.ap-southeast-1.amazonaws.com/"),
        ("china", "/wenzheng-prod-uploads"),
        ("local", "/uploads"),
    ],
)
def test_a_slot_names_where_its_stage_takes_the_post_with_the_same_policy(
    api: Api, monkeypatch: pytest.MonkeyPatch, stage: str, url: str
) -> None:
    """Outside China the bucket's own endpoint (straight to S3, not through CloudFront); in
    China the bucket's path on the site's origin; locally the stack's /uploads. The signed
    policy is the same whatever the URL: it binds the bucket, key, type, size and expiry."""
    from functions.settings import settings

    monkeypatch.setenv("WZ_UPLOADS_POST_URL", _post_url(stage))
    settings.cache_clear()
    try:
        [upload] = api.ok(slots(api, JPEG))["uploads"]
    finally:
        settings.cache_clear()
    assert upload["url"] == url
    conditions = policy(upload)["conditions"]
    assert {"bucket": settings().uploads_bucket} in conditions
    assert {"key": f"uploads/{upload['upload_id']}"} in conditions
    assert {"Content-Type": "image/jpeg"} in conditions
    assert ["content-length-range", 2048, 2048] in conditions
    assert policy(upload)["expiration"]  # botocore sets it from the real clock


@pytest.mark.parametrize(
    "files",
    [
        [{"content_type": "image/gif", "size": 100}],
        [{"content_type": "application/pdf", "size": 100}],
        [{"content_type": "image/tiff", "size": 100}],
        [{"content_type": "image/jpeg", "size": 10 * 1024 * 1024 + 1}],
        [{"content_type": "image/jpeg", "size": 0}],
        [JPEG] * 7,
        [],
    ],
    ids=["gif", "pdf", "tiff", "over-10MB", "empty", "seven", "none"],
)
def test_slot_refused_for_type_size_or_count_naming_files(
    api: Api, files: list[dict[str, Any]]
) -> None:
    refused = slots(api, *files)
    assert refused.status == 400
    assert any(name.startswith("files") for name in refused.fields), refused.body


def test_slots_are_counted_per_photo_against_the_upload_limit(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.settings import settings

    monkeypatch.setenv("WZ_RATE_LIMITS_ENABLED", "1")  # the suite runs with them off
    monkeypatch.setenv("WZ_RATE_LIMITS", "upload_ip=8/1h")
    settings.cache_clear()
    try:
        api.ok(slots(api, *[JPEG] * 6))
        refused = slots(api, JPEG, JPEG, JPEG)
        assert refused.status == 429 and refused.code == "rate_limited"
        assert "上传照片过于频繁" in refused.error["message"]
    finally:
        monkeypatch.undo()
        settings.cache_clear()


# -- processing and attaching ---------------------------------------------------------------------


def test_published_case_shows_processed_photos_without_metadata(api: Api, client: Client) -> None:
    first = uploaded(api, client, camera_jpeg(1200, 900))
    second = uploaded(api, client, camera_jpeg(300, 200, orientation=1))
    created = api.submit(photos=[first, second])
    case_id = created["case_id"]
    assert api.public(case_id).status == 404  # not public before acceptance
    api.accept(case_id)

    page = api.ok(api.public(case_id))
    title = page["title"]
    assert page["photos"] == [
        {
            "id": upload_id,
            "url": f"/media/{upload_id}/display.jpg",
            "thumb_url": f"/media/{upload_id}/thumb.jpg",
            "alt": title,
        }
        for upload_id in (first, second)
    ]
    served = stored_object(f"processed/{first}/display.jpg")
    assert not has_metadata(served) and b"TestPhone" not in served
    from functions.settings import settings

    # The originals, GPS and all, are gone once processed.
    left = s3().list_objects_v2(Bucket=settings().uploads_bucket, Prefix="uploads/")
    assert left.get("KeyCount", 0) == 0


def test_iphone_heic_is_served_as_a_jpeg_without_metadata(api: Api, client: Client) -> None:
    upload_id = uploaded(api, client, camera_heic(), content_type="image/heic")
    created = api.submit(photos=[upload_id])
    api.accept(created["case_id"])

    [photo] = api.ok(api.public(created["case_id"]))["photos"]
    assert photo["url"] == f"/media/{upload_id}/display.jpg"
    served = stored_object(f"processed/{upload_id}/display.jpg")
    assert served[:3] == b"\xff\xd8\xff"  # a JPEG: every browser shows it
    assert not has_metadata(served) and b"TestPhone" not in served


def test_photo_processed_after_submission_is_recorded_on_the_case(api: Api, client: Client) -> None:
    data = camera_jpeg()
    [upload] = api.ok(slots(api, {"content_type": "image/jpeg", "size": len(data)}))["uploads"]
    created = api.submit(photos=[upload["upload_id"]])
    api.accept(created["case_id"])
    staff = api.staff_case(created["case_id"])
    assert [(p["id"], p["state"]) for p in staff["photos"]] == [(upload["upload_id"], "pending")]
    assert api.ok(api.public(created["case_id"]))["photos"] == []  # never before processing

    assert posted(client, upload["upload_id"], data) == "processed"

    [shown] = api.ok(api.public(created["case_id"]))["photos"]
    assert shown["id"] == upload["upload_id"]
    # The case moved on (its version): a change read before this would be refused, not undo it.
    assert api.staff_case(created["case_id"])["photos"][0]["state"] == "processed"


def test_renamed_text_file_is_rejected_and_cannot_be_attached(api: Api, client: Client) -> None:
    text = "这不是照片。".encode() * 100
    [upload] = api.ok(slots(api, {"content_type": "image/jpeg", "size": len(text)}))["uploads"]
    assert posted(client, upload["upload_id"], text) == "rejected"

    refused = api.post("/api/cases", {**_body(), "photos": [upload["upload_id"]]})
    assert refused.status == 400 and "photos" in refused.fields
    from functions.settings import settings

    listed = s3().list_objects_v2(Bucket=settings().uploads_bucket, Prefix="processed/")
    assert listed.get("KeyCount", 0) == 0  # nothing written for it


def test_unknown_or_used_upload_is_refused_naming_photos(api: Api, client: Client) -> None:
    unknown = api.post("/api/cases", {**_body(), "photos": ["0" * 32]})
    assert unknown.status == 400 and "photos" in unknown.fields

    upload_id = uploaded(api, client, camera_jpeg())
    api.submit(photos=[upload_id])
    used = api.post("/api/cases", {**_body(), "photos": [upload_id]})
    assert used.status == 400 and "photos" in used.fields
    assert "已被使用" in used.fields["photos"]["message"]


def test_more_than_six_photos_are_refused(api: Api) -> None:
    refused = api.post("/api/cases", {**_body(), "photos": [f"{n:032x}" for n in range(7)]})
    assert refused.status == 400 and "photos" in refused.fields


def test_photos_of_a_case_not_published_stay_private(api: Api, client: Client) -> None:
    upload_id = uploaded(api, client, camera_jpeg())
    created = api.submit(photos=[upload_id], public=False)
    api.accept(created["case_id"], public=False)
    assert api.public(created["case_id"]).status == 404
    tracked = api.track(created["case_id"], created["tracking_code"])
    assert [p["state"] for p in tracked["photos"]] == ["processed"]


def _body() -> dict[str, Any]:
    from tests.api.helpers import submission

    return submission()


# -- replies and hiding ----------------------------------------------------------------------------


def test_department_reply_photos_show_with_the_reply(api: Api, client: Client) -> None:
    from tests.api.helpers import reply_body

    created, link = api.assigned_case()
    api.ok(api.handle_act(link, "sign"))
    after = uploaded(api, client, camera_jpeg())
    api.ok(api.handle_act(link, "reply", reply_body(photos=[after])))

    page = api.ok(api.public(created["case_id"]))
    assert page["photos"] == []  # the citizen attached none
    [reply] = page["replies"]
    assert [p["id"] for p in reply["photos"]] == [after]
    handled = api.ok(api.handle(link))
    assert [p["state"] for p in handled["case"]["replies"][0]["photos"]] == ["processed"]


def test_a_reply_cannot_take_a_case_past_its_photo_limit(
    api: Api, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.domain import photos as rules
    from tests.api.helpers import reply_body

    monkeypatch.setattr(rules, "MAX_ON_CASE", 3)
    citizen = [uploaded(api, client, camera_jpeg(60, 40)) for _ in range(2)]
    _created, link = api.assigned_case(photos=citizen)
    api.ok(api.handle_act(link, "sign"))
    two = [uploaded(api, client, camera_jpeg(60, 40)) for _ in range(2)]

    refused = api.handle_act(link, "reply", reply_body(photos=two))
    assert refused.status == 400 and "photos" in refused.fields
    assert "还能添加 1 张" in refused.fields["photos"]["message"]
    handled = api.ok(api.handle_act(link, "reply", reply_body(photos=two[:1])))
    assert [p["id"] for p in handled["case"]["replies"][0]["photos"]] == two[:1]


def test_reply_with_a_used_photo_is_refused_naming_photos(api: Api, client: Client) -> None:
    from tests.api.helpers import reply_body

    upload_id = uploaded(api, client, camera_jpeg())
    _created, link = api.assigned_case(photos=[upload_id])
    api.ok(api.handle_act(link, "sign"))
    refused = api.handle_act(link, "reply", reply_body(photos=[upload_id]))
    assert refused.status == 400 and "photos" in refused.fields


def test_coordinator_hides_a_photo_from_the_public_with_a_note(api: Api, client: Client) -> None:
    face, street = uploaded(api, client, camera_jpeg()), uploaded(api, client, camera_jpeg())
    created = api.submit(photos=[face, street])
    case_id = created["case_id"]
    api.accept(case_id)
    assert "hide-photo" in api.staff_case(case_id)["actions"]
    open311 = f"/open311/v2/requests/{case_id}.json"
    [request] = api.ok(api.get(open311))  # Open311's media_url: the first public photo
    assert request["media_url"] == f"http://wenzheng.test/media/{face}/display.jpg"

    note = "照片中有路人面部"
    hidden = api.ok(api.act(case_id, "hide-photo", {"photo": face, "note": note}))
    assert [(p["id"], p["hidden"]) for p in hidden["photos"]] == [(face, True), (street, False)]
    assert hidden["photos"][0]["hidden_note"] == note
    [event] = [e for e in hidden["events"] if e["type"] == "photo_hidden"]
    assert event["note"] == note and event["public"] is False and event["data"]["photo"] == face

    page = api.ok(api.public(case_id))
    assert [p["id"] for p in page["photos"]] == [street]
    [request] = api.ok(api.get(open311))
    assert request["media_url"] == f"http://wenzheng.test/media/{street}/display.jpg"
    assert all(e["type"] != "photo_hidden" for e in page["timeline"])

    again = api.act(case_id, "hide-photo", {"photo": face, "note": note})
    assert again.status == 409
    unknown = api.act(case_id, "hide-photo", {"photo": "f" * 32, "note": note})
    assert unknown.status == 400 and "photo" in unknown.fields


def test_a_department_cannot_hide_photos(api: Api, client: Client) -> None:
    upload_id = uploaded(api, client, camera_jpeg())
    _created, link = api.assigned_case(photos=[upload_id])
    refused = api.handle_act(link, "hide-photo", {"photo": upload_id, "note": "不想公开这张"})
    assert refused.status in (403, 404)


def test_an_attached_upload_that_is_no_picture_shows_as_refused_to_staff_only(
    api: Api, client: Client
) -> None:
    text = "改名的文本文件".encode() * 100
    [upload] = api.ok(slots(api, {"content_type": "image/png", "size": len(text)}))["uploads"]
    created = api.submit(photos=[upload["upload_id"]])  # attached before processing
    api.accept(created["case_id"])
    assert posted(client, upload["upload_id"], text) == "rejected"
    [photo] = api.staff_case(created["case_id"])["photos"]
    assert (photo["state"], photo["state_label"]) == ("rejected", "不是图片，已拒收")
    assert "url" not in photo
    assert api.ok(api.public(created["case_id"]))["photos"] == []


def test_a_repeated_s3_event_changes_nothing(api: Api, client: Client) -> None:
    upload_id = uploaded(api, client, camera_jpeg())
    first = stored_object(f"processed/{upload_id}/display.jpg")
    created = api.submit(photos=[upload_id])
    version = api.staff_case(created["case_id"])["photos"]
    assert posted(client, upload_id, b"not a picture any more") == "processed"  # kept result
    assert stored_object(f"processed/{upload_id}/display.jpg") == first
    assert api.staff_case(created["case_id"])["photos"] == version


def test_an_object_outside_uploads_or_without_a_slot_is_left_alone(client: Client) -> None:
    from functions.settings import settings

    bucket = settings().uploads_bucket
    for key, outcome in (
        ("processed/x/display.jpg", "ignored"),
        ("uploads/" + "a" * 32, "no_slot"),
    ):
        s3().put_object(Bucket=bucket, Key=key, Body=b"x")
        event = client.events.generate_s3_event(bucket=bucket, key=key)
        assert client.lambda_.invoke("process_upload", event).payload == [outcome]


def test_a_china_stage_links_its_photos_under_the_path_its_cdn_serves_them(
    api: Api, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """China's CloudFront has no function to map /media/ onto processed/: a stage with
    WZ_MEDIA_PATH=/processed/ links the photos by their own keys, on the case page and in
    Open311 alike."""
    import dataclasses

    from functions import settings as settings_module
    from functions.services import presenters

    china = dataclasses.replace(
        settings_module.settings(),
        media_path=settings_module._media_path("processed"),
    )
    monkeypatch.setattr(presenters, "settings", lambda: china)
    photo = uploaded(api, client, camera_jpeg())
    case_id = api.submit(photos=[photo])["case_id"]
    api.accept(case_id)
    [shown] = api.ok(api.public(case_id))["photos"]
    assert shown["url"] == f"/processed/{photo}/display.jpg"
    assert shown["thumb_url"] == f"/processed/{photo}/thumb.jpg"
    [request] = api.ok(api.get(f"/open311/v2/requests/{case_id}.json"))
    assert request["media_url"] == f"http://wenzheng.test/processed/{photo}/display.jpg"
