"""``make deploy``: put what ``make package`` built into an AWS account (docs/OPERATIONS.md,
"Deploying").

1. an artifacts bucket (``wenzheng-artifacts-<account>-<region>``, private, encrypted) holds the
   Lambda zip and the template under content-addressed keys, so every package ever deployed
   stays there for a rollback;
2. ``sam.json``'s ``CodeUri`` entries are rewritten to that S3 location;
3. a CloudFormation change set for the stack ``wenzheng-<stage>`` is created and printed, then
   (unless ``--dry-run``) executed and waited for;
4. the built site (``build/site/``, ``infra.site_build``, made by ``make package``) is synced
   to the site bucket of the stack with its Content-Types and cache headers, and CloudFront is
   invalidated;
5. SNS's account SMS attributes are set (transactional, monthly spend limit), except in a
   China region, which has no SNS SMS (the domestic provider sends);
6. the site URL is printed.

Parameter values are printed; those the template marks ``NoEcho`` never are.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import json
import mimetypes
import secrets
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import WaiterError

from infra.site_build import HASHED
from infra.site_build import SITE as BUILT_SITE

ROOT = Path(__file__).resolve().parent.parent
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
# Local artefacts a template refers to, by resource type and property.
ARTIFACT_PROPERTIES = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
}
# Command-line options -> template parameters (only those the template declares are sent).
OPTION_PARAMETERS = {
    "domain": "DomainName",
    "sender": "SenderAddress",
    "certificate_arn": "CertificateArn",
    "alarm_email": "AlarmEmail",
    "sms_spend_limit": "SmsMonthlySpendLimit",
    "map_tiles": "MapTiles",
    "map_tiles_attribution": "MapTilesAttribution",
    "mailbox": "MailboxAddress",
    # China regions (infra/template.py CHINA_PARAMETERS)
    "iam_certificate_id": "IamCertificateId",
    "sms_provider": "SmsProvider",
    "sms_secret": "SmsSecretName",
    "sms_templates": "SmsTemplates",
    "sms_signature": "SmsSignature",
    "smtp_host": "SmtpHost",
    "smtp_port": "SmtpPort",
    "smtp_tls": "SmtpTls",
    "smtp_user": "SmtpUser",
    "smtp_secret": "SmtpSecretName",
    "imap_host": "ImapHost",
    "imap_port": "ImapPort",
    "imap_user": "ImapUser",
    "imap_secret": "ImapPasswordSecretName",
}
SMS_SPEND_PARAMETER = "SmsMonthlySpendLimit"
# Outputs naming the site bucket and the distribution; without them, the stack's resources.
SITE_BUCKET_OUTPUTS = ("SiteBucketName", "SiteBucket", "FrontendBucketName", "FrontendBucket")
DISTRIBUTION_OUTPUTS = ("DistributionId", "CloudFrontDistributionId", "SiteDistributionId")
SITE_URL_OUTPUTS = ("SiteUrl", "SiteURL")

TEXT = "; charset=utf-8"
CONTENT_TYPES = {
    ".html": "text/html" + TEXT,
    ".css": "text/css" + TEXT,
    ".js": "text/javascript" + TEXT,
    ".mjs": "text/javascript" + TEXT,
    ".json": "application/json" + TEXT,
    ".map": "application/json" + TEXT,
    ".txt": "text/plain" + TEXT,
    ".xml": "application/xml" + TEXT,
    ".webmanifest": "application/manifest+json" + TEXT,
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
}
# Pages are revalidated by browsers on every load; assets with unversioned names (the icon)
# after 5 minutes. CloudFront keeps both a day (s-maxage): every deploy invalidates it. The
# built scripts and stylesheets are named by their content's hash (infra/site_build.py): a name
# never gets other content, so browsers and CloudFront keep them a year without asking.
CACHE_PAGE = "public, max-age=0, must-revalidate, s-maxage=86400"
CACHE_ASSET = "public, max-age=300, s-maxage=86400"
CACHE_HASHED = "public, max-age=31536000, immutable"
# A hashed file the new site no longer has is kept this long after the deploy that dropped it:
# a page fetched before the deploy (from a browser, or an edge before the invalidation reached
# it) still finds its script and stylesheet. Marked in its metadata by the deploy that drops it,
# deleted by the first deploy after the day.
KEEP_SUPERSEDED = datetime.timedelta(days=1)
SUPERSEDED = "superseded-at"

Say = Callable[[str], None]


class DeployError(RuntimeError):
    pass


def content_type(path: Path) -> str:
    known = CONTENT_TYPES.get(path.suffix.lower())
    if known:
        return known
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def cache_control(path: Path) -> str:
    if path.suffix.lower() == ".html":
        return CACHE_PAGE
    return CACHE_HASHED if HASHED.search(path.name) else CACHE_ASSET


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- artifacts -----------------------------------------------------------------------------


def artifacts_bucket_name(account: str, region: str) -> str:
    return f"wenzheng-artifacts-{account}-{region}"


def ensure_bucket(s3: Any, bucket: str, region: str) -> bool:
    """Create ``bucket`` private and encrypted unless it exists; True if created."""
    try:
        s3.head_bucket(Bucket=bucket)
        return False
    except s3.exceptions.ClientError as exc:
        if exc.response["Error"]["Code"] not in ("404", "NoSuchBucket", "NotFound"):
            raise
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    return True


def _exists(s3: Any, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
        return True
    except s3.exceptions.ClientError as exc:
        if exc.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
            return False
        raise


def upload_artifact(s3: Any, bucket: str, stage: str, path: Path) -> str:
    """Upload ``path`` as ``<stage>/<sha256>/<name>`` unless already there; returns the key."""
    key = f"{stage}/{sha256_file(path)[:32]}/{path.name}"
    if not _exists(s3, bucket, key):
        s3.upload_file(str(path), bucket, key)
    return key


def rewrite_artifacts(
    template: dict[str, Any], upload: Callable[[Path], str], bucket: str, base: Path
) -> dict[str, str]:
    """Point every local ``CodeUri``/``ContentUri`` of ``template`` at S3 (in place); each
    distinct file is uploaded once. Returns {local path: key}."""
    keys: dict[str, str] = {}
    for resource in template.get("Resources", {}).values():
        prop = ARTIFACT_PROPERTIES.get(resource.get("Type", ""))
        properties = resource.get("Properties", {})
        local = properties.get(prop) if prop else None
        if not isinstance(local, str) or local.startswith("s3://"):
            continue
        path = (base / local).resolve()
        if not path.is_file():
            raise DeployError(f"{prop} {local!r} is not a file in {base}")
        if local not in keys:
            keys[local] = upload(path)
        properties[prop] = {"Bucket": bucket, "Key": keys[local]}
    return keys


def upload_template(s3: Any, bucket: str, stage: str, template: Mapping[str, Any]) -> str:
    body = json.dumps(template, indent=1, sort_keys=True).encode()
    key = f"{stage}/{hashlib.sha256(body).hexdigest()[:32]}/template.json"
    if not _exists(s3, bucket, key):
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
    return key


def url_suffix(region: str) -> str:
    """The partition's domain: China's endpoints end in ``amazonaws.com.cn``."""
    return "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"


def template_url(bucket: str, key: str, region: str) -> str:
    return f"https://{bucket}.s3.{region}.{url_suffix(region)}/{key}"


# --- parameters ----------------------------------------------------------------------------


@dataclass
class Parameters:
    values: list[dict[str, Any]]
    shown: list[str] = field(default_factory=list)


def stack_parameters(
    declared: Mapping[str, Mapping[str, Any]],
    given: Mapping[str, str],
    *,
    updating: bool,
    previous: Iterable[str] = (),
) -> Parameters:
    """CloudFormation ``Parameters`` for the declared template parameters.

    Given values are sent; on an update, parameters not given keep their previous value; on
    a create (or a parameter new to the stack), a ``NoEcho`` parameter named ``…Secret`` with no
    default gets a random value. The printable lines mask every ``NoEcho`` value."""
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise DeployError(
            f"the template declares no parameter {', '.join(unknown)}"
            f" (it declares: {', '.join(sorted(declared)) or 'none'})"
        )
    previous = set(previous)
    out = Parameters(values=[])
    for name, spec in sorted(declared.items()):
        hidden = str(spec.get("NoEcho", "false")).lower() == "true"
        if name in given and given[name] != "":
            out.values.append({"ParameterKey": name, "ParameterValue": given[name]})
            out.shown.append(f"{name} = {'****' if hidden else given[name]}")
        elif updating and name in previous:
            out.values.append({"ParameterKey": name, "UsePreviousValue": True})
            out.shown.append(f"{name} = (previous value)")
        elif "Default" in spec:
            default = "****" if hidden else (spec["Default"] if spec["Default"] != "" else "''")
            out.shown.append(f"{name} = {default} (default)")
        elif hidden and name.endswith("Secret"):
            value = secrets.token_urlsafe(32)
            out.values.append({"ParameterKey": name, "ParameterValue": value})
            out.shown.append(f"{name} = **** (generated)")
        else:
            raise DeployError(f"the template parameter {name} needs a value")
    return out


# --- CloudFormation ------------------------------------------------------------------------


def describe_stack(cfn: Any, stack: str) -> dict[str, Any] | None:
    try:
        stacks = cfn.describe_stacks(StackName=stack)["Stacks"]
    except cfn.exceptions.ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise
    return dict(stacks[0]) if stacks else None


def change_set_changes(cfn: Any, stack: str, name: str) -> dict[str, Any]:
    """The change set, its ``Changes`` gathered over every page."""
    described: dict[str, Any] = dict(cfn.describe_change_set(StackName=stack, ChangeSetName=name))
    changes = list(described.get("Changes", []))
    token = described.get("NextToken")
    while token:
        page = cfn.describe_change_set(StackName=stack, ChangeSetName=name, NextToken=token)
        changes.extend(page.get("Changes", []))
        token = page.get("NextToken")
    described["Changes"] = changes
    return described


def summarize_changes(changes: Iterable[Mapping[str, Any]]) -> list[str]:
    lines = []
    for change in changes:
        rc = change.get("ResourceChange", {})
        replacement = rc.get("Replacement")
        lines.append(
            f"  {rc.get('Action', '?'):<7} {rc.get('LogicalResourceId', '?'):<40}"
            f" {rc.get('ResourceType', '?')}"
            + (f"  replacement: {replacement}" if replacement in ("True", "Conditional") else "")
        )
    return lines


def _wait(cfn: Any, waiter: str, **kwargs: Any) -> None:
    delay = kwargs.pop("delay", 10)
    cfn.get_waiter(waiter).wait(
        WaiterConfig={"Delay": delay, "MaxAttempts": int(3600 / max(delay, 1))}, **kwargs
    )


def failure_reasons(cfn: Any, stack: str, limit: int = 15) -> list[str]:
    events = cfn.describe_stack_events(StackName=stack).get("StackEvents", [])
    return [
        f"  {e['LogicalResourceId']}: {e['ResourceStatus']} {e.get('ResourceStatusReason', '')}"
        for e in events[:100]
        if str(e.get("ResourceStatus", "")).endswith("FAILED")
    ][:limit]


# --- the site --------------------------------------------------------------------------------


def site_targets(cfn: Any, stack: str, outputs: Mapping[str, str]) -> tuple[str, str | None]:
    """(site bucket, CloudFront distribution id or None), from the outputs, else resources."""
    bucket = next((outputs[k] for k in SITE_BUCKET_OUTPUTS if outputs.get(k)), None)
    distribution = next((outputs[k] for k in DISTRIBUTION_OUTPUTS if outputs.get(k)), None)
    if bucket and distribution:
        return bucket, distribution
    # (moto leaves ResourceType out for some resources: read it with .get.)
    resources = cfn.describe_stack_resources(StackName=stack)["StackResources"]
    buckets = [
        r
        for r in resources
        if r.get("ResourceType") == "AWS::S3::Bucket"
        and any(word in r["LogicalResourceId"].lower() for word in ("site", "frontend"))
    ]
    distributions = [
        r for r in resources if r.get("ResourceType") == "AWS::CloudFront::Distribution"
    ]
    if not bucket:
        if len(buckets) != 1:
            raise DeployError(
                f"cannot tell the site bucket of {stack} (outputs: {sorted(outputs)})"
            )
        bucket = buckets[0]["PhysicalResourceId"]
    if not distribution and len(distributions) == 1:
        distribution = distributions[0]["PhysicalResourceId"]
    return str(bucket), distribution


def sync_frontend(
    s3: Any, bucket: str, source: Path = BUILT_SITE, now: datetime.datetime | None = None
) -> tuple[int, int]:
    """Upload every file of ``source`` (the built site) with its Content-Type and
    Cache-Control, and delete objects no longer in it; a hashed asset no longer in it is kept
    for ``KEEP_SUPERSEDED`` after the deploy that dropped it (marked then, deleted by a later
    deploy). Returns (uploaded, deleted)."""
    if not (source / "index.html").is_file():
        raise DeployError(f"{source} holds no built site: run `make package` (infra.site_build)")
    now = now or datetime.datetime.now(datetime.UTC)
    files = {
        path.relative_to(source).as_posix(): path
        for path in sorted(source.rglob("*"))
        if path.is_file() and not path.name.startswith(".")
    }
    # The hashed assets first, the pages that name them last: a page is never in the bucket
    # before what it loads.
    for key, path in sorted(files.items(), key=lambda item: item[1].suffix == ".html"):
        s3.upload_file(
            str(path),
            bucket,
            key,
            ExtraArgs={"ContentType": content_type(path), "CacheControl": cache_control(path)},
        )
    stale: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            key = obj["Key"]
            if key in files:
                continue
            if HASHED.search(key) and _kept(s3, bucket, key, now):
                continue
            stale.append(key)
    for start in range(0, len(stale), 1000):
        batch = stale[start : start + 1000]
        s3.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True}
        )
    return len(files), len(stale)


def _kept(s3: Any, bucket: str, key: str, now: datetime.datetime) -> bool:
    """Whether the hashed ``key``, which the site no longer has, stays for now: marked
    superseded at ``now`` if it is not yet (its content and headers unchanged), kept until
    ``KEEP_SUPERSEDED`` after its mark."""
    head = s3.head_object(Bucket=bucket, Key=key)
    marked = head.get("Metadata", {}).get(SUPERSEDED)
    if marked is None:
        s3.copy_object(
            Bucket=bucket,
            Key=key,
            CopySource={"Bucket": bucket, "Key": key},
            MetadataDirective="REPLACE",
            Metadata={SUPERSEDED: now.isoformat()},
            ContentType=head.get("ContentType", content_type(Path(key))),
            CacheControl=head.get("CacheControl", cache_control(Path(key))),
        )
        return True
    try:
        since = datetime.datetime.fromisoformat(marked)
    except ValueError:
        return False
    return now - since < KEEP_SUPERSEDED


def invalidate(cloudfront: Any, distribution: str) -> str:
    answer = cloudfront.create_invalidation(
        DistributionId=distribution,
        InvalidationBatch={
            "Paths": {"Quantity": 1, "Items": ["/*"]},
            "CallerReference": f"wenzheng-{time.time_ns()}",
        },
    )
    return str(answer["Invalidation"]["Id"])


def set_sms_attributes(sns: Any, monthly_spend_limit: str) -> dict[str, str]:
    attributes = {"DefaultSMSType": "Transactional", "MonthlySpendLimit": monthly_spend_limit}
    sns.set_sms_attributes(attributes=attributes)
    return attributes


# --- the whole deploy ------------------------------------------------------------------------


@dataclass
class Options:
    stage: str
    region: str
    package_dir: Path
    given: dict[str, str]
    dry_run: bool = False
    frontend: Path = BUILT_SITE
    artifacts_bucket: str | None = None


def deploy(session: Any, options: Options, say: Say = print) -> dict[str, Any]:
    """Run the deploy; returns what it did (for tests and the summary)."""
    stage, region = options.stage, options.region
    china = region.startswith("cn-")
    stack = f"wenzheng-{stage}"
    template_file = options.package_dir / "sam.json"
    if not template_file.is_file():
        raise DeployError(f"{template_file} is missing: run `make package STAGE={stage}` first")
    if not (options.frontend / "index.html").is_file():
        raise DeployError(
            f"{options.frontend} holds no built site: run `make package STAGE={stage}` first"
        )
    template: dict[str, Any] = json.loads(template_file.read_text(encoding="utf-8"))
    s3 = session.client("s3", region_name=region)
    cfn = session.client("cloudformation", region_name=region)

    account = session.client("sts", region_name=region).get_caller_identity()["Account"]
    bucket = options.artifacts_bucket or artifacts_bucket_name(account, region)
    if ensure_bucket(s3, bucket, region):
        say(f"created the artifacts bucket {bucket}")
    keys = rewrite_artifacts(
        template,
        lambda path: upload_artifact(s3, bucket, stage, path),
        bucket,
        options.package_dir,
    )
    for local, key in keys.items():
        say(f"{local} -> s3://{bucket}/{key}")
    template_key = upload_template(s3, bucket, stage, template)
    say(f"template -> s3://{bucket}/{template_key}")

    existing = describe_stack(cfn, stack)
    status = str(existing["StackStatus"]) if existing else ""
    # A stack whose first change set was never executed is still created by a CREATE one.
    updating = status not in ("", "REVIEW_IN_PROGRESS")
    if updating and status.endswith("_IN_PROGRESS"):
        raise DeployError(f"{stack} is {status}: wait for it to finish")
    if status == "ROLLBACK_COMPLETE":
        raise DeployError(
            f"{stack} failed its first create (ROLLBACK_COMPLETE): read its events, delete it"
            " (tables and buckets are retained) and deploy again"
        )
    previous = [p["ParameterKey"] for p in (existing or {}).get("Parameters", [])]
    params = stack_parameters(
        template.get("Parameters", {}), options.given, updating=updating, previous=previous
    )
    say(f"stack {stack} in {region} ({'update' if updating else 'create'}); parameters:")
    for line in params.shown:
        say(f"  {line}")

    if updating:
        _indexes_first(session, cfn, s3, bucket, stack, template, options, say)

    change_set = f"{stack}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}"
    cfn.create_change_set(
        StackName=stack,
        ChangeSetName=change_set,
        ChangeSetType="UPDATE" if updating else "CREATE",
        TemplateURL=template_url(bucket, template_key, region),
        Parameters=params.values,
        Capabilities=CAPABILITIES,
        Tags=[{"Key": "project", "Value": "wenzheng"}, {"Key": "stage", "Value": stage}],
        Description=f"make deploy STAGE={stage}",
    )
    result: dict[str, Any] = {
        "stack": stack,
        "change_set": change_set,
        "artifacts_bucket": bucket,
        "artifacts": keys,
        "template_key": template_key,
        "parameters": params.values,
    }
    # The waiter also fails on FAILED, which includes "no changes": the status is read below.
    with contextlib.suppress(WaiterError):
        _wait(cfn, "change_set_create_complete", StackName=stack, ChangeSetName=change_set, delay=5)
    described = change_set_changes(cfn, stack, change_set)
    outcome, reason = described.get("Status"), str(described.get("StatusReason", ""))
    no_changes = outcome == "FAILED" and (
        "didn't contain changes" in reason or "No updates are to be performed" in reason
    )
    if outcome == "FAILED" and not no_changes:
        raise DeployError(f"change set {change_set} failed: {reason}")
    say(f"change set {change_set}: {len(described['Changes'])} change(s)")
    for line in summarize_changes(described["Changes"]):
        say(line)
    result["changes"] = described["Changes"]
    if options.dry_run:
        say("dry run: the change set was not executed (review it in the console, or run again)")
        result["executed"] = False
        return result

    if no_changes:
        say("the stack is up to date")
        cfn.delete_change_set(StackName=stack, ChangeSetName=change_set)
    else:
        cfn.execute_change_set(StackName=stack, ChangeSetName=change_set)
        say("executing; waiting for CloudFormation (a new CloudFront distribution takes minutes)")
        try:
            _wait(
                cfn,
                "stack_update_complete" if updating else "stack_create_complete",
                StackName=stack,
                delay=15,
            )
        except WaiterError as exc:
            reasons = "\n".join(failure_reasons(cfn, stack))
            raise DeployError(f"{stack} did not complete: {exc}\n{reasons}") from exc
    result["executed"] = not no_changes

    described_stack = describe_stack(cfn, stack) or {}
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described_stack.get("Outputs", [])}
    site_bucket, distribution = site_targets(cfn, stack, outputs)
    uploaded, deleted = sync_frontend(s3, site_bucket, options.frontend)
    say(f"site -> s3://{site_bucket}: {uploaded} file(s) uploaded, {deleted} deleted")
    if distribution:
        # China's CloudFront answers in its region (cloudfront.cn-….amazonaws.com.cn).
        client = session.client("cloudfront", **({"region_name": region} if china else {}))
        invalidation = invalidate(client, distribution)
        say(f"CloudFront {distribution}: invalidation {invalidation} of /*")
    sms: dict[str, str] | None = None
    if china:
        say("SNS SMS: none in this region (the SMS provider sends; cap its spend there)")
    else:
        limit = options.given.get(SMS_SPEND_PARAMETER) or str(
            template.get("Parameters", {}).get(SMS_SPEND_PARAMETER, {}).get("Default", "1")
        )
        sms = set_sms_attributes(session.client("sns", region_name=region), limit)
        say(f"SNS SMS: {sms}")
    url = next((outputs[k] for k in SITE_URL_OUTPUTS if outputs.get(k)), None)
    if not url and options.given.get("DomainName"):
        url = f"https://{options.given['DomainName']}/"
    result.update(site_bucket=site_bucket, distribution=distribution, sms=sms, url=url)
    say(f"site: {url or '(no URL output)'}")
    if outputs.get("DistributionDomainName"):
        say(f"DNS: point the site's name (CNAME/alias) at {outputs['DistributionDomainName']}")
    return result


def _indexes_first(
    session: Any,
    cfn: Any,
    s3: Any,
    bucket: str,
    stack: str,
    template: Mapping[str, Any],
    options: Options,
    say: Say,
) -> None:
    """A table whose indexes change by more than one: the stack updates that change them one
    at a time, before the deploy's change set (infra/index_steps.py)."""
    from infra import index_steps

    if options.dry_run:
        original = cfn.get_template(StackName=stack, TemplateStage="Original")["TemplateBody"]
        deployed = json.loads(original) if isinstance(original, str) else original
        for _, change, _step in index_steps.plan(deployed, template):
            say(f"indexes (not run: dry run): {change}")
        return

    def put(step: Mapping[str, Any]) -> str:
        return template_url(
            bucket, upload_template(s3, bucket, options.stage, step), options.region
        )

    def wait() -> None:
        try:
            _wait(cfn, "stack_update_complete", StackName=stack, delay=15)
        except WaiterError as exc:
            reasons = "\n".join(failure_reasons(cfn, stack))
            raise DeployError(f"{stack}: an index step did not complete: {exc}\n{reasons}") from exc

    index_steps.run(
        cfn,
        session.client("dynamodb", region_name=options.region),
        stack,
        template,
        put_template=put,
        wait_stack=wait,
        say=say,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.deploy", description=__doc__)
    parser.add_argument("--stage", default="prod")
    parser.add_argument("--region", required=True)
    parser.add_argument("--package-dir", type=Path, help="default build/<stage>")
    parser.add_argument("--domain", default="", help="the site's domain name")
    parser.add_argument("--sender", default="", help="SES sender address (verified domain)")
    parser.add_argument("--certificate-arn", default="", help="ACM certificate in us-east-1")
    parser.add_argument("--alarm-email", default="")
    parser.add_argument("--sms-spend-limit", default="", help="USD per month")
    parser.add_argument(
        "--map-tiles", default="", help="the city's tile server: https://…/{z}/{x}/{y}.png"
    )
    parser.add_argument("--map-tiles-attribution", default="", help="shown on the map (审图号)")
    parser.add_argument("--mailbox", default="", help="市长信箱: the address citizens write to")
    china = parser.add_argument_group('China regions (docs/OPERATIONS.md, "China regions")')
    china.add_argument("--iam-certificate-id", default="", help="IAM server certificate ID")
    china.add_argument("--sms-provider", default="", choices=["", "aliyun", "tencent"])
    china.add_argument("--sms-secret", default="", help="secret name: SMS credentials")
    china.add_argument("--sms-templates", default="", help="JSON: SMS kind -> template code")
    china.add_argument("--sms-signature", default="", help="the approved 签名")
    china.add_argument("--smtp-host", default="")
    china.add_argument("--smtp-port", default="")
    china.add_argument("--smtp-tls", default="", choices=["", "implicit", "starttls"])
    china.add_argument("--smtp-user", default="")
    china.add_argument("--smtp-secret", default="", help="secret name: the SMTP password")
    china.add_argument("--imap-host", default="")
    china.add_argument("--imap-port", default="")
    china.add_argument("--imap-user", default="")
    china.add_argument("--imap-secret", default="", help="secret name: the IMAP password")
    parser.add_argument(
        "--param", action="append", default=[], metavar="KEY=VALUE", help="any other parameter"
    )
    parser.add_argument("--artifacts-bucket", help="default wenzheng-artifacts-<account>-<region>")
    parser.add_argument("--dry-run", action="store_true", help="stop after the change set")
    args = parser.parse_args(argv)
    given = {OPTION_PARAMETERS[k]: getattr(args, k) for k in OPTION_PARAMETERS if getattr(args, k)}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep:
            parser.error(f"--param {item!r}: expected KEY=VALUE")
        given[key] = value
    import boto3

    options = Options(
        stage=args.stage,
        region=args.region,
        package_dir=args.package_dir or ROOT / "build" / args.stage,
        given=given,
        dry_run=args.dry_run,
        artifacts_bucket=args.artifacts_bucket,
    )
    try:
        deploy(boto3.Session(region_name=args.region), options)
    except DeployError as exc:
        print(f"deploy failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
