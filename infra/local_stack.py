"""The whole platform on one machine: moto in server mode as the embedded AWS, the tables
created from the model definitions, demo data, the Chalice app and the built site
(``build/site/``, made from ``frontend/`` by ``infra.site_build``: what deploys) on ONE
origin, and the scheduled functions on a local timer.

    python -m infra.local_stack --port 8000 [--empty] [--fresh] [--data .data/local]

The data is kept across runs (infra/local_data.py): restored on start, saved every few minutes
and on the way out. Ctrl-C (or SIGTERM) saves it and stops everything it started.
"""

from __future__ import annotations

import argparse
import functools
import logging
import mimetypes
import os
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from infra import local_media, site_build
from infra.local_data import Gate, InUse, Keeper, SnapshotError
from infra.security_headers import deployment_security_headers

ROOT = Path(__file__).resolve().parent.parent
SITE = site_build.SITE
REGION = "ap-southeast-1"

log = logging.getLogger("wenzheng.local")


def _environment(port: int, moto_url: str) -> None:
    os.environ.update(
        {
            "WZ_STAGE": "local",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "AWS_ENDPOINT_URL": moto_url,
            "WZ_TABLE_PREFIX": "wenzheng-local-",
            "WZ_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            # Browsers post photos to this origin (infra/local_media.py), not to moto.
            "WZ_UPLOADS_POST_URL": "/uploads",
        }
    )
    os.environ.pop("AWS_PROFILE", None)


def _given(names: dict[str, str]) -> dict[str, str]:
    """Those of ``names`` the process environment sets itself (WZ_STAGE is always local)."""
    return {n: os.environ[n] for n in names if n in os.environ and n != "WZ_STAGE"}


def _start_moto() -> tuple[Any, Gate]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    # One request at a time (moto is not thread-safe), and held still while a snapshot of
    # the local data is read (infra/local_data.py).
    wsgi_server = server._server
    assert wsgi_server is not None
    gate = Gate(wsgi_server.app, after=_forget_tracked_objects)
    wsgi_server.app = gate
    return server, gate


def _forget_tracked_objects() -> None:
    """moto keeps a reference to every object it ever made, for its dashboard
    (``/moto-api/data.json``): every DynamoDB item written, every copy a scan or a query
    returned, every S3 object. A stack running for a week grew without bound (and took a
    quarter of a minute to exit, collecting them). The tables and buckets hold what is live;
    only SES and SNS, whose sent messages the dashboard shows, are still tracked."""
    from moto.core.model_instances import model_data

    for service in ("dynamodb", "s3"):
        for model in model_data.get(service, {}).values():
            if model.instances_tracked:  # type: ignore[attr-defined]
                model.instances_tracked = []  # type: ignore[attr-defined]


def handler_class(app: Any, config: Any) -> type:
    from infra.local_http import GuardedRequestHandler, read_timeout

    class Handler(GuardedRequestHandler):
        """API paths go to Chalice's local gateway; everything else is a static file. Framing,
        timeouts and error answers for malformed requests: ``infra.local_http``."""

        server_version = "wenzheng-local"
        timeout = read_timeout()

        def _static(self, head: bool) -> None:
            path = self.path.split("?", 1)[0].split("#", 1)[0]
            if path.endswith("/"):
                path += "index.html"
            if path.endswith(".html"):
                _rebuild_if_changed()
            try:
                target = (SITE / path.lstrip("/")).resolve()
                found = SITE.resolve() in target.parents and target.is_file()
            except (OSError, ValueError):  # a segment over 255 bytes, a NUL: no such file
                found = False
            if not found:
                self._send(404, "text/plain; charset=utf-8", "未找到页面 Not found".encode())
                return
            kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
            if kind.startswith("text/") or kind in ("application/javascript", "image/svg+xml"):
                kind += "; charset=utf-8"
            self._send(
                200, kind, b"" if head else target.read_bytes(), length=target.stat().st_size
            )

        def _send(self, status: int, kind: str, body: bytes, length: int | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(length if length is not None else len(body)))
            self.send_header("Cache-Control", "no-cache")
            for name, value in deployment_security_headers().items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self._is_api():
                super()._generic_handle()
            elif self.path.startswith("/media/"):
                self._media()
            else:
                self._static(head=False)

        def do_POST(self) -> None:
            if self.path.split("?", 1)[0] == local_media.UPLOAD_PATH:
                status, message = local_media.receive_upload(dict(self.headers), self._body or b"")
                self._send(status, "text/plain; charset=utf-8", message.encode())
            else:
                super()._generic_handle()

        def _media(self) -> None:
            """A processed photo, as CloudFront's ``/media/*`` serves it."""
            found = local_media.media(self.path.split("?", 1)[0])
            if found is None:
                self._send(404, "text/plain; charset=utf-8", "未找到图片 Not found".encode())
            else:
                self._send(200, "image/jpeg", found)

        def do_HEAD(self) -> None:
            if self._is_api():
                super()._generic_handle()
            else:
                self._static(head=True)

        def do_TRACE(self) -> None:
            """A method no route has: the API answers through Chalice's local gateway (405 on
            a route, 403 on no route, as API Gateway), the site 405; never the standard
            library's 501 (a client's request is not a server error). Found by
            tests/stack/test_openapi_fuzz.py."""
            if self._is_api():
                super()._generic_handle()
            else:
                self._send(405, "text/plain; charset=utf-8", "不支持的请求方法".encode())

        do_QUERY = do_TRACE

        def __getattr__(self, name: str) -> Any:
            """Every other method (CONNECT, made-up ones) is answered as TRACE is."""
            if name.startswith("do_"):
                return self.do_TRACE
            raise AttributeError(name)

    return functools.partial(Handler, app_object=app, config=config)  # type: ignore[return-value]


def _rebuild_if_changed() -> None:
    """Before a page is served: the site built again if ``frontend/`` changed since (an edit
    shows on the next reload, under new hashed names). A build that fails (a syntax error)
    is logged and the last build served."""
    try:
        site_build.ensure_built()
    except site_build.SiteBuildError as error:
        log.error("site_build_failed: %s", error)


def tick() -> None:
    """One tick of the local stand-in for EventBridge schedules: every job of ``JOBS``, in its
    order, at the platform clock, each run as its schedule runs it (``functions.jobs.run``:
    the same metric, the same log keys, a request id per run as Lambda gives each
    invocation). Jobs are idempotent, so running them more often than their schedule only
    costs reads: ``digest`` sends nothing before 08:30 or on a non-working day, sends once per
    department and day, and after that is a single read per tick until the next day."""
    from functions import clock
    from functions.jobs import JOBS, run

    for name in JOBS:
        try:
            run(name, clock.utcnow(), request_id=str(uuid.uuid4()))
        except Exception:  # a failing job must not stop the timer; it runs again next tick
            log.exception("job_failed", extra={"job": name})


def _run_jobs(stop: threading.Event, every: float) -> None:
    while not stop.wait(every):
        tick()


def _first_tick() -> None:
    """Every job once, then the outbox until nothing is due, before the site opens: the demo's
    few hundred messages are in the dev outbox from the start, and the first message someone
    triggers (a sign-in link) does not queue behind them."""
    from functions import clock
    from functions.jobs import run

    tick()
    for _ in range(100):
        report = run("outbox", clock.utcnow(), request_id=str(uuid.uuid4()))
        if not (report["sent"] or report["failed"] or report["throttled"]):
            break


def _metric_changes() -> Callable[[str, float, str], None]:
    """Where the local stack's metric lines go: the console, each time a metric's value
    changes. The jobs emit on every tick (every two seconds), which would bury everything
    else; CloudWatch is what reads every line."""
    last: dict[str, float] = {}

    def write(name: str, value: float, line: str) -> None:
        if last.get(name) != value:
            last[name] = value
            print(line, flush=True)

    return write


def _stand_still() -> None:
    """Real time stands still for the platform when ``WZ_CLOCK_FROZEN_AT`` says so (the
    stacks the tests start: nothing moves a deadline unless a test moves the clock)."""
    from functions import clock
    from functions.settings import settings

    frozen = settings().clock_frozen_at
    if frozen is not None:
        clock.stand_still(frozen)
        log.info("the platform clock stands still at %s", frozen.isoformat())


def _banner(port: int, moto_url: str, keeper: Keeper, story: str) -> str:
    from infra.bootstrap import STAFF, SUPERVISORS, city

    base = f"http://127.0.0.1:{port}"
    lines = [
        "",
        "问政 Wenzheng is running (local stage)",
        f"  公开留言板 board        {base}/",
        f"  我要留言 submit         {base}/submit.html",
        f"  总平台 coordinator       {base}/staff.html",
        f"  监督评议 supervisors     {base}/review.html",
        f"  开发发件箱 dev outbox    {base}/outbox.html",
        f"  embedded AWS (moto)     {moto_url}",
        f"  data                    {_shown(keeper.data.folder)} ({story})"
        if keeper.data
        else "  data                    kept only while this runs (--ephemeral)",
        "",
        "Staff accounts (sign in with the email; the link arrives in the dev outbox):",
        *[f"  {email:<32} {role}" for email, role, _ in STAFF if email not in SUPERVISORS],
        *[
            f"  {email:<32} supervisor 监督员 {title} (监督评议: {base}/review.html)"
            for email, (title, _) in SUPERVISORS.items()
        ],
        "  <county>-coordinator@wenzheng.example  county_coordinator 分平台 (one per county: "
        + ", ".join(p["districts"][0] for p in city()["platforms"])
        + ")",
    ]
    if keeper.samples:
        lines += ["", "Demo cases to track and rate (case id / tracking code):"]
        lines += [f"  {s['case_id']}  {s['tracking_code']}  {s['state']}" for s in keeper.samples]
    lines += ["", "Ctrl-C stops everything."]
    if keeper.data:
        lines += [
            "The data is saved on the way out (and every few minutes): the next `make run`",
            "starts where this one stopped; `make run FRESH=1` starts clean.",
        ]
    lines += [""]
    return "\n".join(lines)


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument(
        "--empty", action="store_true", help="on a fresh start, start without demo data"
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=ROOT / ".data" / "local",
        help="the folder the data is saved in and restored from (default .data/local)",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="start clean: the saved data is moved to <data>/backups/, not restored",
    )
    parser.add_argument(
        "--save-every", type=float, default=300.0, help="seconds between snapshots of the data"
    )
    parser.add_argument(
        "--ephemeral",
        action="store_true",
        help="keep nothing: no data folder, the data lives as long as the process (tests)",
    )
    parser.add_argument(
        "--tick", type=float, default=2.0, help="seconds between runs of the scheduled functions"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    for noisy in ("botocore", "werkzeug", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

    # Bind first, so a busy port fails before anything else starts.
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    probe.bind(("127.0.0.1", args.port))
    probe.close()

    # The site this stack serves: build/site/, built from frontend/ as make package builds it.
    try:
        site_build.ensure_built()
    except site_build.SiteBuildError as error:
        print(f"The site cannot be built: {error}", flush=True)
        return 1

    keeper = Keeper(None if args.ephemeral else args.data.resolve())
    try:
        snapshot, moved = keeper.open(fresh=args.fresh)
    except InUse as error:
        print(f"{error}: stop it first, or start this one with DATA=<another folder>.")
        return 1
    except SnapshotError as error:
        print(f"The saved data cannot be read ({error}); `make run FRESH=1` sets it aside.")
        return 1
    if moved is not None:
        print(f"FRESH: the saved data was moved to {_shown(moved)}", flush=True)

    moto, gate = _start_moto()
    host, moto_port = moto.get_host_and_port()
    moto_url = f"http://{host}:{moto_port}"
    _environment(args.port, moto_url)
    sys.path.insert(0, str(ROOT))

    from chalice.cli.factory import CLIFactory
    from chalice.local import ThreadedHTTPServer

    # The local stage's settings (.chalice/config.json, e.g. the second factor off for the demo
    # accounts) before anything reads them: settings() is read once per process. What the
    # environment sets already wins (`WZ_STAFF_TOTP_ROLES=coordinator make run`).
    factory = CLIFactory(project_dir=str(ROOT), environ=os.environ)
    config = factory.create_config_obj(chalice_stage_name="local")
    stage_environment = {**config.environment_variables, **_given(config.environment_variables)}
    os.environ.update(stage_environment)

    from functions import metrics
    from infra import bootstrap

    metrics.send_to(_metric_changes())
    keeper.connect(moto_url, REGION, gate)
    _stand_still()
    bootstrap.prepare(city=snapshot is None)
    if snapshot is not None:
        keeper.restore(snapshot)
        story = f"restored, saved {snapshot.taken_at:%Y-%m-%d %H:%M} UTC"
    else:
        if not args.empty:
            from infra.demo_loader import load_demo

            keeper.samples = load_demo()
            _first_tick()
        # At once: the demo just loaded (a minute's work) survives a crash too.
        keeper.save()
        story = "new, empty" if args.empty else "new, with the demo city"

    app = factory.load_chalice_app(stage_environment)
    # What `chalice local` does (chalice.local.create_local_server): a Chalice app keeps the
    # request being handled in ONE attribute (a Lambda handles one request at a time), so
    # under concurrent requests each thread must see its own, or one client's headers and
    # body are read while handling another's (tests/load found it).
    from chalice.local import CustomLocalChalice, LocalChalice

    CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
    app.__class__ = CustomLocalChalice
    # socketserver listens with a backlog of 5; a burst of clients (tests/load) must queue
    # as they would behind API Gateway, not be reset.
    ThreadedHTTPServer.request_queue_size = 128
    httpd = ThreadedHTTPServer(("127.0.0.1", args.port), handler_class(app, config))

    stop = threading.Event()
    timer = threading.Thread(target=_run_jobs, args=(stop, args.tick), daemon=True)
    timer.start()
    saver = keeper.keep_saving(stop, args.save_every)
    serving = threading.Thread(target=httpd.serve_forever, daemon=True)
    serving.start()

    def _stop(*_: Any) -> None:
        stop.set()

    # Before the banner: whoever reads "Ctrl-C stops everything" may press it at once.
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    print(_banner(args.port, moto_url, keeper, story), flush=True)
    while not stop.is_set():
        time.sleep(0.2)
    httpd.shutdown()
    httpd.server_close()
    # Nothing writes once the site is closed and the timer and the periodic save are done:
    # the last snapshot is of everything that was answered.
    timer.join(timeout=60)
    if saver.is_alive():
        saver.join(timeout=120)
    status = 0 if keeper.save_at_exit() else 1
    moto.stop()
    keeper.close()
    print("stopped.", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
