"""The auditors' command line: query the archive, verify a case's history, export a query to
S3 (with a progress bar, and no size limit) and verify an export against the archive, on the
local stack or in AWS. Every run is recorded in the access log under the auditor's address.

    python -m functions.audit_cli --local http://127.0.0.1:PORT --as auditor@wenzheng.example \\
        search --department dept-housing --from 2026-01 --to 2026-06
    python -m functions.audit_cli --stage prod --as chen@audit.gov.cn export --breached any
    python -m functions.audit_cli --local URL --as … verify WZ20261102-ABC123
    python -m functions.audit_cli --local URL --as … verify-export EX20261202101500-1A2B3C

``--local`` takes the embedded AWS (moto) URL that ``make run`` prints; without it the usual
AWS credentials and region apply. Exit status: 0 done (and valid), 1 invalid, 2 refused."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

FILTERS = (
    "from",
    "to",
    "department",
    "district",
    "kind",
    "category",
    "state",
    "breached",
    "extension",
    "rating",
    "reopened",
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m functions.audit_cli", description=__doc__)
    parser.add_argument("--local", metavar="URL", help="the local stack's embedded AWS (moto)")
    parser.add_argument("--stage", default=None, help="deployment stage (default: local)")
    parser.add_argument("--region", default=None)
    parser.add_argument("--as", dest="auditor", required=True, help="your auditor email")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (("search", "list matching cases"), ("export", "export to S3")):
        sub = commands.add_parser(name, help=text)
        for field in FILTERS:
            sub.add_argument(f"--{field}", dest=f"f_{field}")
        if name == "search":
            sub.add_argument("--format", choices=("table", "jsonl"), default="table")
    commands.add_parser("verify", help="verify a case's hash chain").add_argument("case_id")
    commands.add_parser("verify-export", help="check an export").add_argument("export_id")
    return parser


def _environment(args: argparse.Namespace) -> None:
    """Before any project import: settings and table names are read once."""
    if args.local:
        os.environ.update(
            {
                "WZ_STAGE": "local",
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "AWS_ENDPOINT_URL": args.local,
                "WZ_TABLE_PREFIX": "wenzheng-local-",
                "AWS_DEFAULT_REGION": args.region or "ap-southeast-1",
                "AWS_REGION": args.region or "ap-southeast-1",
            }
        )
    if args.stage:
        os.environ["WZ_STAGE"] = args.stage
    if args.region:
        os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"] = args.region


def _filters(args: argparse.Namespace) -> dict[str, str]:
    return {f: v for f in FILTERS if (v := getattr(args, f"f_{f}", None))}


def _print(data: Any) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def run(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    _environment(args)

    from functions import clock
    from functions.domain.errors import DomainError
    from functions.domain.lifecycle import Role
    from functions.services.staff_auth import StaffSession
    from functions.storage import directory

    account = directory.staff_account(args.auditor)
    if account is None or account.role != Role.AUDITOR.value:
        print(f"{args.auditor} 不是在册的审计员 (not an active auditor)", file=sys.stderr)
        return 2
    session = StaffSession(account.email, Role.AUDITOR, account.name)
    now = clock.utcnow()
    try:
        return _command(args, session, now)
    except DomainError as error:
        fields = "; ".join(f"{f.field}: {f.message}" for f in error.fields)
        print(f"{error.message} {fields}".strip(), file=sys.stderr)
        return 2


def _command(args: argparse.Namespace, session: Any, now: Any) -> int:
    from functions.services import auditing, exports

    if args.command == "search":
        cursor, shown = None, 0
        while True:
            page = auditing.search(_filters(args), cursor, session, now)
            for row in page["cases"]:
                shown += 1
                if args.format == "jsonl":
                    print(json.dumps(row, ensure_ascii=False))
                else:
                    lead = (row["lead"] or {}).get("name", "")
                    flags = ",".join(row["breach_labels"]) or "-"
                    print(
                        f"{row['case_id']}  {row['created_at'][:10]}  {row['state_label']}  "
                        f"{lead}  {flags}  {row['rating_label']}  {row['title']}"
                    )
            cursor = page["next_cursor"]
            if cursor is None:
                break
        print(f"{shown} cases", file=sys.stderr)
        return 0
    if args.command == "export":
        return _export(args, session, now)
    if args.command == "verify":
        result = auditing.verify(args.case_id, session, now)
        _print(result)
        return 0 if result["valid"] else 1
    result = exports.verify_export(args.export_id, session, now)
    _print(result)
    return 0 if result["valid"] else 1


def _export(args: argparse.Namespace, session: Any, now: Any) -> int:
    from tqdm import tqdm  # the CLI's own dependency (requirements-dev.txt), never the API's

    from functions.services import auditing, exports
    from functions.storage import archive_repo

    f = auditing.audit_filter(_filters(args), now)
    total = archive_repo.count(f)
    with tqdm(total=total, unit="件", desc="导出", file=sys.stderr) as bar:
        manifest = exports.run_export(f, session, now, limit=None, progress=bar.update)
    _print(manifest)
    return 0


if __name__ == "__main__":
    sys.exit(run())
