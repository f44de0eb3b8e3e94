"""Record every AWS call the code makes, as IAM sees it, and check it against a policy.

``recording()`` hooks botocore's ``before-parameter-build`` event on every client created
while it is active (boto3's and PynamoDB's alike) and turns each call into the IAM actions
and resource ARNs AWS authorises it against: a ``TransactWriteItems`` is a ``PutItem`` /
``UpdateItem`` / ``DeleteItem`` / ``ConditionCheckItem`` on each table it names, a ``Query`` on
an index is a ``Query`` on ``table/<name>/index/<index>``, an SES v2 ``SendEmail`` is
``ses:SendEmail`` on the sender identity and the configuration set, an SMS ``Publish`` is
``sns:Publish`` on ``*``. Names are translated to the production stage's (the tests' table
prefix becomes ``wenzheng-<stage>-``) so the template's policies can be evaluated as they are.

``allowed(policy, action, resource)`` is a small IAM evaluator: Allow statements only (the
template has no Deny), action and resource globs (``*`` and ``?``), case-insensitive actions.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

REGION = "ap-southeast-1"
ACCOUNT = "123456789012"
PARTITION = "aws"
TOTP_KEY_ARN = f"arn:{PARTITION}:kms:{REGION}:{ACCOUNT}:key/TotpKey"  # a key id stands in


@dataclass(frozen=True)
class Call:
    function: str  # the Lambda function the call ran in (Chalice's name)
    action: str  # IAM action, e.g. "dynamodb:Query"
    resource: str  # the ARN IAM checks
    operation: str  # the API operation, for messages


@dataclass
class Recorder:
    table_prefix: str  # the prefix the tests' tables carry
    stage_prefix: str  # the production prefix the policies name
    stage: str
    sender_domain: str
    configuration_set: str
    export_bucket_test: str
    export_bucket_stage: str
    uploads_bucket_test: str = ""
    uploads_bucket_stage: str = ""
    calls: list[Call] = field(default_factory=list)
    last_function: str = ""  # the function whose process cache the test's process holds
    function: str = "test"  # calls the test itself makes (setup, checks) belong to no function
    signing: bool = False  # a presigned POST is being signed: botocore models no call for it
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def table_arn(self, table: str, index: str | None = None) -> str:
        name = self.stage_prefix + table.removeprefix(self.table_prefix)
        arn = f"arn:{PARTITION}:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
        return f"{arn}/index/{index}" if index else arn

    def add(self, action: str, resource: str, operation: str) -> None:
        with self._lock:
            self.calls.append(Call(self.function, action, resource, operation))

    # -- translation of one API call into IAM checks --------------------------------------
    def on_call(self, service: str, operation: str, params: dict[str, Any]) -> None:
        handler = getattr(self, f"_{service.replace('-', '_')}", None)
        if handler is None:
            self.add(f"{service}:{operation}", "*", operation)
            return
        handler(operation, params)

    def _dynamodb(self, operation: str, params: dict[str, Any]) -> None:
        if operation == "TransactWriteItems":
            kinds = {
                "Put": "PutItem",
                "Update": "UpdateItem",
                "Delete": "DeleteItem",
                "ConditionCheck": "ConditionCheckItem",
            }
            for item in params.get("TransactItems", []):
                for kind, action in kinds.items():
                    if kind in item:
                        self.add(
                            f"dynamodb:{action}", self.table_arn(item[kind]["TableName"]), operation
                        )
            return
        if operation == "TransactGetItems":
            for item in params.get("TransactItems", []):
                self.add("dynamodb:GetItem", self.table_arn(item["Get"]["TableName"]), operation)
            return
        if operation in ("BatchGetItem", "BatchWriteItem"):
            for table in params.get("RequestItems", {}):
                self.add(f"dynamodb:{operation}", self.table_arn(table), operation)
            return
        table = params.get("TableName")
        if table is None:
            self.add(f"dynamodb:{operation}", "*", operation)
            return
        self.add(f"dynamodb:{operation}", self.table_arn(table, params.get("IndexName")), operation)

    def _sesv2(self, operation: str, params: dict[str, Any]) -> None:
        if operation != "SendEmail":
            self.add(f"ses:{operation}", "*", operation)
            return
        sender = str(params.get("FromEmailAddress", ""))
        domain = sender.rsplit("@", 1)[-1]
        base = f"arn:{PARTITION}:ses:{REGION}:{ACCOUNT}"
        # SES authorises the send against the identity (the domain verified in production)
        # and, when one is named, the configuration set.
        self.add("ses:SendEmail", f"{base}:identity/{domain}", operation)
        if params.get("ConfigurationSetName"):
            name = self.configuration_set
            self.add("ses:SendEmail", f"{base}:configuration-set/{name}", operation)

    def _sns(self, operation: str, params: dict[str, Any]) -> None:
        if operation == "Publish" and params.get("PhoneNumber"):
            self.add("sns:Publish", "*", operation)  # SMS to a number: no ARN exists
            return
        target = params.get("TopicArn") or params.get("TargetArn") or "*"
        self.add(f"sns:{operation}", str(target), operation)

    def _kms(self, operation: str, params: dict[str, Any]) -> None:
        # The one key (the template's TotpKey); a call without the context the key's grant
        # is conditioned on (purpose: staff-totp) is recorded on a resource nothing allows.
        context = params.get("EncryptionContext") or {}
        unconditioned = "" if context.get("purpose") == "staff-totp" else "#without-context"
        self.add(f"kms:{operation}", f"{TOTP_KEY_ARN}{unconditioned}", operation)

    def _s3(self, operation: str, params: dict[str, Any]) -> None:
        bucket = str(params.get("Bucket", ""))
        if bucket == self.export_bucket_test:
            bucket = self.export_bucket_stage
        elif bucket and bucket == self.uploads_bucket_test:
            bucket = self.uploads_bucket_stage
        key = params.get("Key")
        resource = f"arn:{PARTITION}:s3:::{bucket}" + (f"/{key}" if key else "")
        self.add(f"s3:{operation}", resource, operation)

    @contextmanager
    def as_function(self, name: str) -> Iterator[None]:
        previous, self.function = self.function, name
        try:
            yield
        finally:
            self.function = previous


@contextmanager
def recording(recorder: Recorder) -> Iterator[Recorder]:
    """Every botocore client created inside the block reports its calls to ``recorder``;
    the project's cached clients are dropped first so they are re-created hooked."""
    from botocore.client import BaseClient

    from functions.notify import adapter
    from functions.settings import settings
    from functions.storage import export_store, media_store
    from functions.storage.models import ALL_MODELS

    original_init = BaseClient.__init__
    original_post = media_store.presigned_post

    def recorded_post(key: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Signing a presigned POST calls nothing (botocore builds it on CreateBucket's model);
        the browser's POST with it is authorised as the signer's s3:PutObject on the key."""
        recorder.signing = True
        try:
            answer = original_post(key, *args, **kwargs)
        finally:
            recorder.signing = False
        recorder.on_call("s3", "PutObject", {"Bucket": settings().uploads_bucket, "Key": key})
        return answer

    def hooked_init(self: BaseClient, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        service = self.meta.service_model.service_name

        def before(params: dict[str, Any], model: Any, **_: Any) -> None:
            if not recorder.signing:
                recorder.on_call(service, model.name, params)

        self.meta.events.register(f"before-parameter-build.{service}", before)

    def reset() -> None:
        adapter.reset_clients()
        export_store.reset_client()
        media_store.reset_client()
        for model in ALL_MODELS:
            model._connection = None

    BaseClient.__init__ = hooked_init  # type: ignore[method-assign]
    media_store.presigned_post = recorded_post  # type: ignore[assignment]
    reset()
    try:
        yield recorder
    finally:
        BaseClient.__init__ = original_init  # type: ignore[method-assign]
        media_store.presigned_post = original_post  # type: ignore[assignment]
        reset()


# -- the evaluator -------------------------------------------------------------------------


def _glob(pattern: str, value: str, *, case: bool) -> bool:
    # IAM globs know only * and ? (fnmatch would also read [] as a class).
    if not case:
        pattern, value = pattern.lower(), value.lower()
    regex = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.fullmatch(regex, value, flags=re.DOTALL) is not None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def allowed(statements: list[dict[str, Any]], action: str, resource: str) -> bool:
    for statement in statements:
        if statement.get("Effect") != "Allow":
            continue
        actions = _as_list(statement.get("Action", []))
        resources = _as_list(statement.get("Resource", []))
        if any(_glob(a, action, case=False) for a in actions) and any(
            _glob(r, resource, case=True) for r in resources
        ):
            return True
    return False


# -- the template's policies, with its intrinsic functions resolved ----------------------------


def physical(template: dict[str, Any], logical: str) -> tuple[str, str]:
    """(Ref, Arn) of one of the template's resources, named as the template names them."""
    resource = template["Resources"][logical]
    kind, props = resource["Type"], resource.get("Properties", {})
    if kind == "AWS::DynamoDB::Table":
        name = props["TableName"]
        return name, f"arn:{PARTITION}:dynamodb:{REGION}:{ACCOUNT}:table/{name}"
    if kind == "AWS::S3::Bucket":
        name = props["BucketName"]
        return name, f"arn:{PARTITION}:s3:::{name}"
    if kind == "AWS::SNS::Topic":
        arn = f"arn:{PARTITION}:sns:{REGION}:{ACCOUNT}:{props['TopicName']}"
        return arn, arn
    if kind == "AWS::SES::ConfigurationSet":
        name = props["Name"]
        return name, f"arn:{PARTITION}:ses:{REGION}:{ACCOUNT}:configuration-set/{name}"
    if kind == "AWS::KMS::Key":
        return logical, TOTP_KEY_ARN.replace("TotpKey", logical)
    raise KeyError(f"no physical name for {logical} ({kind})")


def resolve(value: Any, template: dict[str, Any], parameters: dict[str, str]) -> Any:
    pseudo = {"AWS::Partition": PARTITION, "AWS::Region": REGION, "AWS::AccountId": ACCOUNT}

    def ref(name: str) -> str:
        if name in pseudo:
            return pseudo[name]
        if name in parameters:
            return parameters[name]
        return physical(template, name)[0]

    def attribute_of(logical: str, attribute: str) -> str:
        if attribute == "RegionalDomainName":  # a bucket's own regional endpoint
            return f"{physical(template, logical)[0]}.s3.{REGION}.amazonaws.com"
        assert attribute == "Arn", (logical, attribute)
        return physical(template, logical)[1]

    def holds(condition: Any) -> bool:
        if "Fn::Not" in condition:
            return not holds(condition["Fn::Not"][0])
        if "Fn::Equals" in condition:
            left, right = condition["Fn::Equals"]
            return bool(go(left) == go(right))
        raise KeyError(f"no evaluation for condition {condition}")

    def go(v: Any) -> Any:
        if isinstance(v, list):
            return [go(x) for x in v]
        if not isinstance(v, dict):
            return v
        if "Ref" in v:
            return ref(v["Ref"])
        if "Fn::GetAtt" in v:
            logical, attribute = v["Fn::GetAtt"]
            return attribute_of(logical, attribute)
        if "Fn::Select" in v:
            index, items = v["Fn::Select"]
            return go(items)[int(index)]
        if "Fn::Join" in v:
            separator, items = v["Fn::Join"]
            return separator.join(str(x) for x in go(items))
        if "Fn::If" in v:
            condition, then, otherwise = v["Fn::If"]
            return go(then if holds(template["Conditions"][condition]) else otherwise)
        if "Fn::Split" in v:
            separator, text = v["Fn::Split"]
            return go(text).split(separator)
        if "Fn::Sub" in v:
            spec = v["Fn::Sub"]
            text, variables = (spec, {}) if isinstance(spec, str) else spec
            local = {k: go(x) for k, x in variables.items()}

            def one(match: re.Match[str]) -> str:
                name = match.group(1)
                if name in local:
                    return str(local[name])
                if "." in name:
                    return attribute_of(*name.split(".", 1))
                return ref(name)

            return re.sub(r"\$\{([^}]+)\}", one, text)
        return {k: go(x) for k, x in v.items()}

    return go(value)
