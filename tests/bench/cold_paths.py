"""The first request of each route family in a fresh interpreter (§10, cold start): what it
loads on top of ``import app``. Two commands, each run as its own process by
tests/bench/test_cold_start.py:

    python -m tests.bench.cold_paths serve
        moto in server mode with the platform's tables, the test city and one case (or link,
        or session) for every probe below, seeded through the API (Chalice's test client, in
        this process: the probes' interpreters load nothing for it); prints one JSON line
        {"moto": url, "seeded": {...}}, then serves until stdin closes.

    python -m tests.bench.cold_paths first MOTO_URL PROBES_JSON
        ``import app`` (the Lambda handler module), then one family's requests, one after the
        other, each handed to the handler as API Gateway hands it (no test client, whose own
        imports would hide the route's), against that moto; prints one JSON list of
        {"status": n, "modules": [...]}: every module each request loaded, in load order.
        A family's probes share one interpreter, as a warm Lambda instance serves them: what
        the first loaded, the next finds loaded, so each module is reported by the first
        request that needed it, and the union over the family is its cold path.

The probes are the families' first requests: for each family its heaviest routes, the
successful path (a refused request stops early and loads less)."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "wz-cold-"
CLIENT_IP = "198.51.100.7"
JSON_TYPE = {"content-type": "application/json"}


@dataclass(frozen=True)
class Probe:
    method: str
    resource: str  # the route as registered: "/api/cases/{case_id}"
    params: dict[str, str] = field(default_factory=dict)  # its path parameters
    query: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        action = self.params.get("action")
        path = self.resource.replace("{action}", action) if action else self.resource
        return f"{self.method} {path}"


def _json_body(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


def probes(seeded: dict[str, Any]) -> dict[str, list[Probe]]:
    """Family → its probes, given what ``serve`` seeded."""
    public, case = seeded["public"], {"case_id": seeded["public"]}
    coordinator = {"authorization": f"Bearer {seeded['coordinator']}"}
    admin = {"authorization": f"Bearer {seeded['admin']}"}
    auditor = {"authorization": f"Bearer {seeded['auditor']}"}
    submission = {
        "kind": "complaint",
        "category": "urban",
        "district": "city",
        "title": "小区电梯停运两个月无人维修",
        "content": "翠湖小区 3 号楼电梯停运两个月，物业一直推脱，请尽快处理。",
        "contact": {"name": "欧阳明月", "phone": "13912345678", "email": "ouyang@example.com"},
        "public": True,
    }
    form = {
        "service_code": "complaint.urban",
        "description": "翠湖小区 3 号楼电梯停运两个月，物业一直推脱，请尽快处理。",
        "last_name": "欧阳",
        "first_name": "明月",
        "email": "ouyang@example.com",
        "district": "city",
        "public": "true",
    }
    tracked = {"case_id": seeded["replied"]["case_id"]}
    code = seeded["replied"]["tracking_code"]
    return {
        "public read": [
            Probe("GET", "/api/cases/{case_id}", case),
            Probe("GET", "/api/cases"),
            Probe("GET", "/api/taxonomy"),
            Probe("GET", "/api/showcase"),
            Probe("GET", "/api/rankings"),
        ],
        "submission": [
            Probe("POST", "/api/cases", body=_json_body(submission), headers=JSON_TYPE),
            Probe("POST", "/api/cases/{case_id}/support", case, body="{}", headers=JSON_TYPE),
            Probe(
                "POST",
                "/api/uploads",
                body=_json_body({"files": [{"content_type": "image/jpeg", "size": 2048}]}),
                headers=JSON_TYPE,
            ),
        ],
        "tracking/rating": [
            Probe(
                "POST",
                "/api/cases/{case_id}/track",
                tracked,
                body=_json_body({"tracking_code": code}),
                headers=JSON_TYPE,
            ),
            Probe(
                "POST",
                "/api/cases/{case_id}/{action}",
                {**tracked, "action": "rating"},
                body=_json_body({"tracking_code": code, "rating": "satisfied"}),
                headers=JSON_TYPE,
            ),
        ],
        "department show/reply": [
            Probe("GET", "/api/handle", headers={"x-link-token": seeded["assigned_link"]}),
            Probe(
                "POST",
                "/api/handle/{action}",
                {"action": "reply"},
                body=_json_body(
                    {"outcome": "resolved", "text": "您好！经现场核查，电梯已修复并恢复运行。"}
                ),
                headers={**JSON_TYPE, "x-link-token": seeded["signed_link"]},
            ),
        ],
        "staff console": [
            Probe("GET", "/api/staff/queue", headers=coordinator),
            Probe("GET", "/api/staff/cases/{case_id}", case, headers=coordinator),
            Probe(
                "POST",
                "/api/staff/cases/{case_id}/{action}",
                {"case_id": seeded["submitted"], "action": "accept"},
                body=_json_body({"urgency": "general", "public": True}),
                headers={**JSON_TYPE, **coordinator},
            ),
            Probe(
                "POST",
                "/api/staff/cases/{case_id}/{action}",
                {"case_id": seeded["accepted"], "action": "assign"},
                body=_json_body({"lead": "dept-1", "co_handlers": []}),
                headers={**JSON_TYPE, **coordinator},
            ),
        ],
        "admin": [
            Probe("GET", "/api/admin/calendar", headers=admin),
            Probe("GET", "/api/admin/policy", headers=admin),
            Probe("PUT", "/api/admin/policy", body="{}", headers={**JSON_TYPE, **admin}),
        ],
        "audit": [
            Probe("GET", "/api/audit/cases", headers=auditor),
            Probe(
                "GET", "/api/audit/cases/{case_id}", {"case_id": seeded["closed"]}, headers=auditor
            ),
            Probe(
                "GET",
                "/api/audit/cases/{case_id}/verify",
                {"case_id": seeded["closed"]},
                headers=auditor,
            ),
        ],
        "open311": [
            Probe("GET", "/open311/v2/services.json"),
            Probe("GET", "/open311/v2/requests.json"),
            Probe(
                "GET",
                "/open311/v2/requests/{request_file}",
                {"request_file": f"{public}.json"},
            ),
            Probe(
                "POST",
                "/open311/v2/requests.json",
                body=urlencode(form),
                headers={"content-type": "application/x-www-form-urlencoded"},
            ),
        ],
        "docs": [Probe("GET", "/api/openapi.json")],
    }


def environment(moto_url: str, stage: str = "prod") -> dict[str, str]:
    """A process against the seeded moto, of production's stage (the local stage's handler
    loads its dev routes and what they use) with production's defaults (rate limits on, no
    test-only settings)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("WZ_", "AWS_")) and name != "PYTHONPATH"
    }
    env.update(
        {
            "WZ_STAGE": stage,
            "WZ_TABLE_PREFIX": PREFIX,
            "WZ_EXPORT_BUCKET": f"{PREFIX}exports",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "ap-southeast-1",
            "AWS_REGION": "ap-southeast-1",
            "AWS_ENDPOINT_URL": moto_url,
            "WZ_PUBLIC_BASE_URL": "http://wenzheng.test",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


# --- serve ----------------------------------------------------------------------------------


def _seed() -> dict[str, Any]:
    """A case (or link, or session) for every probe, made through the API as people would."""
    from chalice.test import Client

    from app import app
    from tests.api.helpers import Api

    with Client(app, stage_name="local") as client:
        api = Api(client)
        public = api.submit()["case_id"]
        api.accept(public)
        replied, _ = api.replied_case()
        closed, _ = api.replied_case()
        api.ok(api.rate(closed["case_id"], closed["tracking_code"], "satisfied"))
        _, assigned = api.assigned_case()
        _, signed = api.assigned_case()
        api.ok(api.handle_act(signed, "sign"))
        submitted = api.submit()["case_id"]
        accepted = api.submit()["case_id"]
        api.accept(accepted)
        return {
            "public": public,
            "replied": {"case_id": replied["case_id"], "tracking_code": replied["tracking_code"]},
            "closed": closed["case_id"],
            "assigned_link": assigned.token,
            "signed_link": signed.token,
            "submitted": submitted,
            "accepted": accepted,
            **{
                role: api.session(role)["session_token"]
                for role in ("coordinator", "admin", "auditor")
            },
        }


def serve() -> int:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    # The local stage (its dev outbox holds the links), no rate limits (one address seeds
    # every case) and no second factor (the seed's sessions open from the e-mailed link alone;
    # the probes then use them as any session); tests.conftest sets the suite's own
    # environment on import.
    wanted = {
        **environment(url, stage="local"),
        "WZ_RATE_LIMITS_ENABLED": "0",
        "WZ_STAFF_TOTP_ROLES": "",
    }
    from tests.conftest import TEST_CITY

    os.environ.clear()
    os.environ.update(wanted)
    from infra import bootstrap

    bootstrap.create_tables()
    bootstrap.create_export_bucket()
    bootstrap.load_city(TEST_CITY)
    bootstrap.verify_sender()
    print(json.dumps({"moto": url, "seeded": _seed()}), flush=True)
    sys.stdin.read()  # until the test is done with it
    server.stop()
    return 0


# --- first ----------------------------------------------------------------------------------


def _event(probe: Probe) -> dict[str, Any]:
    """What API Gateway hands the Lambda handler (the HTTP API's payload format 1.0, the REST
    proxy integration's shape)."""
    path = probe.resource
    for name, value in probe.params.items():
        path = path.replace(f"{{{name}}}", value)
    return {
        "resource": probe.resource,
        "path": path,
        "httpMethod": probe.method,
        "headers": probe.headers,
        "multiValueQueryStringParameters": (
            {k: [v] for k, v in probe.query.items()} if probe.query else None
        ),
        "pathParameters": probe.params or None,
        "stageVariables": None,
        "requestContext": {
            "httpMethod": probe.method,
            "resourcePath": probe.resource,
            "path": path,
            "identity": {"sourceIp": CLIENT_IP},
        },
        "body": probe.body,
        "isBase64Encoded": False,
    }


def first(family: list[Probe]) -> list[dict[str, Any]]:
    """Import the handler, then answer each probe in turn, reporting what each added."""
    import app

    found = []
    for probe in family:
        event = _event(probe)
        before = set(sys.modules)
        answer = app.app(event, None)
        found.append(
            {
                "status": answer["statusCode"],
                "body": answer["body"][:300] if answer["statusCode"] >= 300 else "",
                "modules": [name for name in sys.modules if name not in before],
            }
        )
    return found


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    if argv[:1] == ["serve"]:
        return serve()
    if argv[:1] == ["first"] and len(argv) == 3:
        family = [Probe(**each) for each in json.loads(argv[2])]
        print(json.dumps(first(family)), flush=True)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


def probes_json(family: list[Probe]) -> str:
    return json.dumps([asdict(probe) for probe in family], ensure_ascii=False)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
