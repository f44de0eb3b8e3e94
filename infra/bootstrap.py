"""Prepare an AWS account (moto locally) for the platform: tables from the model definitions,
the city's taxonomy and departments, staff accounts, the SES sender identity and the KMS key
that seals the staff TOTP secrets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DEMO = Path(__file__).parent / "demo"

STAFF = [
    ("coordinator@wenzheng.example", "coordinator", "总平台值班员 林晓"),
    ("operator@wenzheng.example", "operator", "热线话务员 周敏"),
    ("auditor@wenzheng.example", "auditor", "审计员 陈立"),
    ("admin@wenzheng.example", "admin", "平台管理员 何平"),
    ("supervisor@wenzheng.example", "supervisor", "张建国"),
    ("leader@wenzheng.example", "leader", "分管副市长 王建国"),
]
# A supervisor's public title and kind (§16): what the public reads beside their 评议.
SUPERVISORS = {"supervisor@wenzheng.example": ("市人大代表 张建国", "npc_deputy")}


def city() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DEMO / "city.json").read_text(encoding="utf-8"))
    return data


def create_tables() -> None:
    from functions.storage.models import create_tables as create

    create()


def create_export_bucket() -> None:
    from functions.storage import export_store

    export_store.reset_client()
    export_store.create_bucket()


def create_uploads_bucket() -> None:
    from functions.storage import media_store

    media_store.reset_client()
    media_store.create_bucket()


def load_city(data: dict[str, Any] | None = None) -> None:
    """The city's taxonomy, departments and staff; the demo city (``data`` None) also gets
    its districts' boundaries (synthetic, drawn for the demo: ``demo/districts.geojson``)."""
    from functions import clock
    from functions.storage import boundaries, directory

    if data is None:
        shapes = json.loads((DEMO / "districts.geojson").read_text(encoding="utf-8"))
        boundaries.put(shapes, by="demo", now=clock.utcnow())
    data = data or city()
    directory.put_taxonomy(data)
    for department in data["departments"]:
        directory.put_department(department)
    # 1+8+N (§15): the county platforms, each with its own coordinators.
    for county in data.get("platforms", []):
        directory.put_department({**county, "level": "county", "district": county["districts"][0]})
        for person in county.get("coordinators", []):
            directory.put_staff(
                person["email"], "county_coordinator", person["name"], county=county["id"]
            )
    for email, role, name in STAFF:
        title, kind = SUPERVISORS.get(email, (None, None))
        directory.put_staff(email, role, name, title=title, supervisor_kind=kind)
    directory.clear_cache()


def verify_sender() -> None:
    """SES refuses to send from an unverified identity (moto enforces this too)."""
    import boto3

    from functions.settings import settings

    domain = settings().mail_sender.split("@", 1)[1]
    boto3.client("sesv2", region_name=settings().region).create_email_identity(EmailIdentity=domain)


def create_totp_key() -> None:
    """The key ``WZ_TOTP_KEY`` names (an alias locally; a deployment's is infra/template.py
    ``TotpKey``): made with its alias unless the alias exists."""
    import boto3

    from functions.settings import settings
    from functions.storage import factor_key

    alias = settings().totp_key
    if not alias.startswith("alias/"):
        return  # a key ARN: a deployment's own key
    kms = boto3.client("kms", region_name=settings().region)
    if any(a["AliasName"] == alias for a in kms.list_aliases()["Aliases"]):
        return
    key = kms.create_key(Description="wenzheng: staff TOTP secrets (local)")
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyMetadata"]["KeyId"])
    factor_key.reset()


def prepare(city: bool = True) -> None:
    """Tables, bucket and sender identity; and the city unless ``city`` is False (the local
    stack restoring a snapshot, which holds the city as it was last edited)."""
    create_tables()
    create_export_bucket()
    create_uploads_bucket()
    if city:
        load_city()
    verify_sender()
    create_totp_key()
