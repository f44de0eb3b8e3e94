"""A Python client generated from the served document by ``openapi-python-client`` (pinned in
requirements-dev.txt; it works offline) keeps every operation, imports, and drives the app over
real HTTP: a citizen submits, a coordinator signs in with the e-mailed link and accepts the
case, and the public board then lists it (docs/API.md, "API document")."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, get_type_hints

import pytest

PACKAGE = "wenzheng_client"
METHODS = ("get", "put", "post", "delete", "patch")
COORDINATOR = "coordinator@wenzheng.example"


def operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        item[method] for item in document["paths"].values() for method in METHODS if method in item
    ]


@pytest.fixture(scope="module")
def generated(served_document: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The client package, generated into a tmp folder and importable as ``wenzheng_client``."""
    folder = tmp_path_factory.mktemp("client")
    config = folder / "config.json"
    config.write_text(json.dumps({"post_hooks": []}), encoding="utf-8")  # no formatter run
    done = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path",
         str(served_document), "--meta", "none", "--output-path", str(folder / PACKAGE),
         "--config", str(config)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(folder))
    try:
        yield folder / PACKAGE
    finally:
        sys.path.remove(str(folder))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def endpoint_modules() -> list[ModuleType]:
    api = importlib.import_module(f"{PACKAGE}.api")
    return [
        importlib.import_module(found.name)
        for found in pkgutil.walk_packages(api.__path__, f"{PACKAGE}.api.")
        if not found.ispkg
    ]


def test_the_client_has_an_importable_module_for_every_operation_and_every_body(
    generated: Path, served_document: Path
) -> None:
    document = json.loads(served_document.read_text(encoding="utf-8"))
    documented = operations(document)
    modules = endpoint_modules()
    importlib.import_module(f"{PACKAGE}.models")
    assert len(modules) == len(documented), "the generator dropped an operation"
    with_body = [m for m in modules if "body" in inspect.signature(m.sync_detailed).parameters]
    assert len(with_body) == len([op for op in documented if "requestBody" in op])


def _body(module: ModuleType, data: dict[str, Any]) -> Any:
    """The operation's body model (named by the document), built from plain data."""
    return get_type_hints(module.sync_detailed)["body"].from_dict(data)


@pytest.fixture
def base_url(aws: None) -> Iterator[str]:
    """The Chalice app behind a real HTTP server on a free loopback port, in this process (its
    AWS is the test's moto)."""
    from chalice.config import Config
    from chalice.local import LocalDevServer

    from app import app

    server = LocalDevServer(app, Config.create(chalice_stage="local"), "127.0.0.1", 0)
    serving = threading.Thread(target=server.server.serve_forever, daemon=True)
    serving.start()
    try:
        yield f"http://127.0.0.1:{server.server.server_address[1]}"
    finally:
        server.shutdown()
        server.server.server_close()
        serving.join()


def test_the_client_submits_accepts_and_lists_a_case_on_the_board_over_http(
    generated: Path, base_url: str
) -> None:
    def endpoint(name: str) -> Any:
        return importlib.import_module(f"{PACKAGE}.api.{name}")

    client = importlib.import_module(PACKAGE)
    public = client.Client(base_url=base_url, raise_on_unexpected_status=True)
    submit = endpoint("public.submit")
    created = submit.sync(
        client=public,
        body=_body(
            submit,
            {
                "kind": "complaint",
                "category": "urban",
                "district": "city",
                "title": "翠湖路口信号灯夜间常灭",
                "content": "翠湖路与滨河路交叉口的信号灯每晚十点后熄灭，行人过街很危险。",
                "contact": {"name": "王小丫", "phone": "13800001111"},
                "public": True,
            },
        ),
    )
    sign_in = endpoint("staff.staff_sign_in")
    asked = sign_in.sync_detailed(client=public, body=_body(sign_in, {"email": COORDINATOR}))
    assert asked.status_code == 202

    run_job = endpoint("dev.dev_run_job")
    run_job.sync(get_type_hints(run_job.sync_detailed)["name"]("outbox"), client=public)
    sent = endpoint("dev.dev_outbox").sync(client=public).messages
    bodies = [m.body for m in sent if m.to == COORDINATOR and "staff.html#t=" in m.body]
    token = re.search(r"staff\.html#t=([A-Za-z0-9_-]+)", bodies[-1])
    assert token, bodies

    open_session = endpoint("staff.staff_session")
    session = open_session.sync(client=public, body=_body(open_session, {"token": token[1]}))
    coordinator = client.AuthenticatedClient(
        base_url=base_url, token=session.session_token, raise_on_unexpected_status=True
    )
    accept = endpoint("staff.staff_accept")
    accepted = accept.sync(
        created.case_id,
        client=coordinator,
        body=_body(accept, {"urgency": "general", "public": True}),
    )
    assert accepted.to_dict()["state"] == "accepted"

    board = endpoint("public.board").sync(client=public)
    listed = {item.case_id: item for item in board.items}
    assert listed[created.case_id].title == "翠湖路口信号灯夜间常灭"
    assert "王小丫" not in json.dumps(board.to_dict(), ensure_ascii=False)
