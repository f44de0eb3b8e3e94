"""Photos through the pages on a 360 px phone against the local stack (§13): a pin put on the
demo city's map by keyboard alone, two photos picked on the submit page go straight to storage
on the site's own origin, a 12-megapixel camera JPEG (GPS EXIF, turned by its orientation tag)
shrunk by the page to an upright 1600 px JPEG and a small PNG as it is, a renamed text file is
refused in place, the case is submitted with the two; once processed and the case accepted,
its public page shows the pin and both thumbnails, a tap opens the full size, and the bytes
served carry no EXIF. An iPhone's HEIC, which Chromium cannot decode, goes up as it is."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from playwright.sync_api import expect

from functions.domain.photos import DISPLAY_PX  # what the platform keeps, and the page sends
from infra.local_stack import REGION
from tests.browser.conftest import PageProblems
from tests.browser.test_pages import assert_clean
from tests.localstack import Stack
from tests.photo_files import camera_heic, camera_jpeg, camera_photo, has_metadata, picture

pytestmark = [pytest.mark.browser, pytest.mark.stack]

COORDINATOR = "coordinator@wenzheng.example"
TITLE = "翠湖街井盖破损有塌陷危险（附照片）"


class Uploads:
    """What reached the uploads bucket while a test ran: each file the page claimed from
    ``POST /api/uploads`` and the bytes it then posted to storage. The stack deletes an
    original once processed, so the bucket keeps versions meanwhile (moto's S3, as AWS's)."""

    def __init__(self, page: Any, stack: Stack) -> None:
        self.answers: list[Any] = []
        self.s3 = boto3.client(
            "s3",
            endpoint_url=stack.moto,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        [self.bucket] = [
            b["Name"] for b in self.s3.list_buckets()["Buckets"] if b["Name"].endswith("-uploads")
        ]
        self._versioning("Enabled")
        page.on("response", self._seen)

    def _versioning(self, status: str) -> None:
        self.s3.put_bucket_versioning(
            Bucket=self.bucket, VersioningConfiguration={"Status": status}
        )

    def _seen(self, response: Any) -> None:
        request = response.request
        if request.method == "POST" and request.url.split("?", 1)[0].endswith("/api/uploads"):
            self.answers.append(response)

    def sent(self) -> list[tuple[dict[str, Any], bytes]]:
        """Each claim the page made and the bytes the bucket took for it, in order."""
        found = []
        for response in self.answers:
            claims = json.loads(response.request.post_data_buffer)["files"]
            for claim, slot in zip(claims, response.json()["uploads"], strict=True):
                key = f"uploads/{slot['upload_id']}"
                listed = self.s3.list_object_versions(Bucket=self.bucket, Prefix=key)
                [version] = [v for v in listed.get("Versions", []) if v["Key"] == key]
                got = self.s3.get_object(
                    Bucket=self.bucket, Key=key, VersionId=version["VersionId"]
                )
                found.append((claim, got["Body"].read()))
        return found

    def close(self) -> None:
        """The bucket as it was: the kept originals (the citizen's GPS) and markers gone."""
        listed = self.s3.list_object_versions(Bucket=self.bucket, Prefix="uploads/")
        for entry in listed.get("Versions", []) + listed.get("DeleteMarkers", []):
            self.s3.delete_object(
                Bucket=self.bucket, Key=entry["Key"], VersionId=entry["VersionId"]
            )
        self._versioning("Suspended")


@pytest.fixture
def uploads(stack: Stack, phone: tuple[Any, PageProblems]) -> Iterator[Uploads]:
    kept = Uploads(phone[0], stack)
    yield kept
    kept.close()


def test_two_photos_reach_the_public_page_without_exif_and_a_renamed_file_is_refused(
    stack: Stack, phone: tuple[Any, PageProblems], tmp_path: Path, uploads: Uploads
) -> None:
    page, problems = phone
    camera = tmp_path / "IMG_20261118_0930.jpg"
    original = camera_photo()  # 4000 × 3000 stored, to be turned 90° clockwise: ~4 MB
    camera.write_bytes(original)
    street = tmp_path / "街景.png"
    small = picture(900, 600, "PNG")
    street.write_bytes(small)
    renamed = tmp_path / "不是照片.jpg"
    renamed.write_bytes("这只是一个改了扩展名的文本文件。\n".encode() * 200)

    page.goto(stack.url("/submit.html"))
    page.get_by_label("投诉", exact=False).first.check()
    page.get_by_label("问题分类").select_option("urban")
    page.get_by_label("所在区域").select_option("city")
    page.get_by_label("地址").fill("翠湖街12号门前")  # 城乡建设 投诉 need a place
    page.get_by_label("标题").fill(TITLE)
    page.get_by_label("留言内容").fill(
        "翠湖街 12 号门前的井盖破了一个大洞，晚上看不清，已经有电动车差点摔倒，请尽快更换。"
    )
    page.get_by_label("手机号码").fill("13800004321")
    page.get_by_label("我同意在公开留言板上展示这条留言").check()

    # The pin, by keyboard: Tab to the map, zoom in twice, a step west and a step north of
    # the city's middle (江城区 in infra/demo/districts.geojson), put the pin at the centre.
    page.get_by_label("地址").focus()
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.matches('.map-svg')"):
            break
    assert page.evaluate("document.activeElement.matches('.map-svg')")
    for key in ("+", "+", "ArrowLeft", "ArrowUp"):
        page.keyboard.press(key)
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    expect(page.locator(".map-pin")).to_have_count(1)
    expect(page.locator(".place-status")).to_contain_text("位于江城区")
    expect(page.get_by_label("所在区域")).to_have_value("jiangcheng")

    page.locator("#photo-input").set_input_files([str(camera), str(street), str(renamed)])
    items = page.locator(".photo-item")
    expect(items).to_have_count(3)
    refused = items.filter(has_text="不是照片.jpg")
    expect(refused.locator(".photo-note")).to_have_text("这不是可识别的图片，请换一张照片")
    expect(page.locator('.photo-item[data-state="done"]')).to_have_count(2)
    expect(page.locator('.photo-item[data-state="done"] img')).to_have_count(2)  # previews
    # The camera's photo went up shrunk, upright, as a JPEG of the display size and a tenth of
    # its bytes; the small PNG as it is; the text file not at all.
    sent = dict((claim["content_type"], (claim["size"], data)) for claim, data in uploads.sent())
    assert sent.keys() == {"image/jpeg", "image/png"}, sent.keys()
    assert sent["image/png"] == (len(small), small)
    size, shrunk = sent["image/jpeg"]
    assert size == len(shrunk)
    assert len(shrunk) < len(original) / 5, (len(shrunk), len(original))
    print(f"\n12-megapixel photo: {len(original):,} bytes taken, {len(shrunk):,} uploaded")
    from PIL import Image

    with Image.open(io.BytesIO(shrunk)) as got:
        assert got.format == "JPEG"
        width = DISPLAY_PX * 3 // 4
        assert got.size == (width, DISPLAY_PX)  # portrait: the orientation tag was applied
        red, green, _ = got.convert("RGB").getpixel((width - 20, 20))
        assert green > 150 and red < 80  # the stored top-left corner, now top-right
        assert not got.getexif()  # a canvas's pixels: no GPS (Chromium adds an sRGB profile)
    assert b"Exif\x00\x00" not in shrunk and b"TestPhone" not in shrunk
    # The refused one blocks submitting until it is removed.
    page.get_by_role("button", name="提交留言").click()
    expect(page.locator('[data-field="photos"] > .field-error')).to_contain_text("有照片未能上传")
    refused.get_by_role("button", name="删除照片 不是照片.jpg").click()
    expect(items).to_have_count(2)
    expect(page.get_by_text("已选 2 / 6 张")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the submit page scrolls sideways on a 360 px phone: {width}"

    page.get_by_role("button", name="提交留言").click()
    expect(page.get_by_role("heading", name="留言已提交")).to_be_visible()
    case_id = page.locator("#case-id").inner_text().strip()

    token = stack.staff_session(COORDINATOR)
    bearer = {"Authorization": f"Bearer {token}"}
    status, staff = stack.call("GET", f"/api/staff/cases/{case_id}", headers=bearer)
    assert status == 200, staff
    assert [p["state"] for p in staff["photos"]] == ["processed", "processed"]
    status, answer = stack.call(
        "POST", f"/api/staff/cases/{case_id}/accept", {"urgency": "general", "public": True}, bearer
    )
    assert status == 200, answer

    assert staff["district"] == "jiangcheng" and staff["district_source"] == "point"
    page.goto(stack.url(f"/case.html?id={case_id}"))
    expect(page.locator(".case-place .map-pin")).to_have_count(1)
    gallery = page.locator(".photo-gallery img")
    expect(gallery).to_have_count(2)
    expect(gallery.first).to_have_attribute("alt", TITLE)
    page.locator(".photo-link").first.click()
    full = page.locator("dialog[open] img.photo-full")
    expect(full).to_be_visible()
    assert page.evaluate("(img) => img.complete && img.naturalWidth", full.element_handle()) > 0
    page.get_by_role("button", name="关闭").click()
    expect(page.locator("dialog[open]")).to_have_count(0)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"the page scrolls sideways on a 360 px phone: {width}"

    status, public = stack.call("GET", f"/api/cases/{case_id}")
    assert status == 200, public
    for photo in public["photos"]:
        for path in (photo["url"], photo["thumb_url"]):
            with urllib.request.urlopen(stack.url(path), timeout=30) as served:
                data = served.read()
                assert served.headers["Content-Type"] == "image/jpeg"
            assert not has_metadata(data), path
            assert b"TestPhone" not in data
    assert_clean(problems, stack)


def test_an_iphone_heic_is_sent_though_the_browser_cannot_show_it(
    stack: Stack, phone: tuple[Any, PageProblems], uploads: Uploads
) -> None:
    """Chromium decodes no HEIC and names no type for it: the picker claims HEIC by the file's
    name, shows a placeholder for the preview, and the server turns it into a JPEG."""
    page, problems = phone
    heic = camera_heic(800, 600)
    page.goto(stack.url("/submit.html"))
    page.get_by_label("建议", exact=False).first.check()
    page.get_by_label("问题分类").select_option("urban")
    page.get_by_label("所在区域").select_option("city")
    page.get_by_label("标题").fill("建议在翠湖公园东门增设自行车停放点")
    page.get_by_label("留言内容").fill(
        "翠湖公园东门外自行车乱停，行人只能走机动车道，建议划出停放区域（照片为手机拍摄）。"
    )
    page.get_by_label("手机号码").fill("13800004322")
    page.locator("#photo-input").set_input_files(
        [{"name": "IMG_4021.HEIC", "mimeType": "", "buffer": heic}]
    )
    item = page.locator(".photo-item")
    expect(item.locator(".photo-format")).to_have_text("HEIC")
    expect(item).to_have_attribute("data-state", "done")
    # Not decoded here, so not shrunk: the server converts it.
    assert uploads.sent() == [({"content_type": "image/heic", "size": len(heic)}, heic)]
    page.get_by_role("button", name="提交留言").click()
    expect(page.get_by_role("heading", name="留言已提交")).to_be_visible()
    case_id = page.locator("#case-id").inner_text().strip()

    bearer = {"Authorization": f"Bearer {stack.staff_session(COORDINATOR)}"}
    status, staff = stack.call("GET", f"/api/staff/cases/{case_id}", headers=bearer)
    assert status == 200, staff
    [photo] = staff["photos"]
    assert photo["state"] == "processed"
    with urllib.request.urlopen(stack.url(photo["url"]), timeout=30) as served:
        data = served.read()
        assert served.headers["Content-Type"] == "image/jpeg"
    assert not has_metadata(data) and b"TestPhone" not in data
    assert_clean(problems, stack)


def slot(stack: Stack, size: int) -> dict[str, Any]:
    status, answer = stack.call(
        "POST", "/api/uploads", {"files": [{"content_type": "image/jpeg", "size": size}]}
    )
    assert status == 200, answer
    [found] = answer["uploads"]
    assert found["url"] == "/uploads"
    return dict(found)


def post_form(stack: Stack, fields: dict[str, str], data: bytes, kind: str = "image/jpeg") -> int:
    """The browser's multipart POST of ``fields`` and the file to the stack's /uploads."""
    boundary = "----photo-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n".encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        stack.url("/uploads"),
        data=b"".join(parts),
        method="POST",
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def uploaded(stack: Stack, data: bytes) -> str:
    """A photo uploaded and processed as the submit page does it, through the API and the
    stack's same-origin POST."""
    found = slot(stack, len(data))
    assert post_form(stack, found["fields"], data) == 204
    return str(found["upload_id"])


def test_the_local_upload_endpoint_holds_a_post_to_its_policy(stack: Stack) -> None:
    data = camera_jpeg()
    given = slot(stack, len(data))
    assert post_form(stack, given["fields"], data + b"extra") == 403  # not the claimed size
    changed = {**given["fields"], "Content-Type": "image/png"}
    assert post_form(stack, changed, data) == 403  # not the signed type
    moved = {**given["fields"], "key": "processed/" + given["upload_id"] + "/display.jpg"}
    assert post_form(stack, moved, data) == 403  # not the signed key
    upload_id = given["upload_id"]
    for path in (f"/media/{upload_id}/display.jpg", f"/media/../uploads/{upload_id}"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(stack.url(path), timeout=30)
        assert refused.value.code == 404  # nothing before processing, never an upload
    assert post_form(stack, given["fields"], data) == 204
    with urllib.request.urlopen(stack.url(f"/media/{upload_id}/thumb.jpg"), timeout=30) as got:
        assert got.headers["Content-Type"] == "image/jpeg"


def test_department_reply_photo_shows_with_the_reply_and_a_coordinator_hides_one(
    stack: Stack, phone: tuple[Any, PageProblems], desktop: tuple[Any, PageProblems], tmp_path: Path
) -> None:
    import json

    token = stack.staff_session(COORDINATOR)
    bearer = {"Authorization": f"Bearer {token}"}
    face = uploaded(stack, camera_jpeg(800, 600, orientation=1))
    created = stack.submit("路口违停车辆堵住盲道（附照片）", photos=[face])
    case_id = created["case_id"]
    link = stack.accept_and_assign(case_id, bearer)

    # The department, on a phone: sign, then reply with an after photo.
    page, problems = phone
    after = tmp_path / "整改后.jpg"
    after.write_bytes(camera_jpeg(1600, 1200, orientation=1))
    page.goto(stack.url(link))
    expect(page.locator(".photo-gallery img")).to_have_count(1)  # the citizen's photo
    page.get_by_role("button", name="签收", exact=True).click()
    page.locator("dialog[open]").get_by_role("button", name="确认签收").click()
    expect(page.get_by_text("已签收。请在答复时限内答复留言人。")).to_be_visible()
    page.get_by_role("button", name="答复", exact=True).click()
    form = page.locator("form.action-form")
    form.get_by_label("答复类型").select_option("resolved")
    form.get_by_label("答复内容").fill(
        "已联系交警部门清理违停车辆，并加装了隔离桩，盲道已恢复通行。"
    )
    form.locator("#photo-input").set_input_files(str(after))
    expect(form.locator('.photo-item[data-state="done"]')).to_have_count(1)
    form.get_by_role("button", name="提交答复").click()
    page.locator("dialog[open]").get_by_role("button", name="确认答复").click()
    expect(page.get_by_text("答复已提交，已通知留言人。")).to_be_visible()
    assert_clean(problems, stack)

    # The coordinator hides the citizen's photo with a note; the public page keeps the reply's.
    staff, staff_problems = desktop
    session = json.dumps({"session_token": token})
    staff.add_init_script(f"sessionStorage.setItem('wenzheng.staff', {json.dumps(session)})")
    staff.goto(stack.url(f"/staff.html?case={case_id}"))
    staff.get_by_role("button", name="对公众隐藏这张照片").first.click()
    staff.get_by_label("隐藏理由").fill("照片中可见路人面部")
    staff.get_by_role("button", name="确认隐藏").click()
    expect(staff.get_by_text("照片已对公众隐藏。")).to_be_visible()
    expect(staff.get_by_text("已对公众隐藏：照片中可见路人面部")).to_be_visible()
    assert_clean(staff_problems, stack)

    status, public = stack.call("GET", f"/api/cases/{case_id}")
    assert status == 200, public
    assert public["photos"] == []
    [reply] = public["replies"]
    assert len(reply["photos"]) == 1
    page.goto(stack.url(f"/case.html?id={case_id}"))
    replies = page.locator("article.reply .photo-gallery img")
    expect(replies).to_have_count(1)
    expect(page.get_by_role("heading", name="现场照片")).to_have_count(0)
