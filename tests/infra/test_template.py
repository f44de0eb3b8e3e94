"""The production template (infra/template.py), without packaging: its tables are the
PynamoDB models, the CDN routes the API and sends the security headers, the mail and alarm
wiring names what the code uses. (The packaged and cfn-linted template:
tests/infra/test_packaged_template.py.)"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from infra import template
from infra.security_headers import SECURITY_HEADERS, content_security_policy, post_url_origin

ROOT = Path(__file__).resolve().parents[2]
STAGE = "prod"
# The uploads bucket's own endpoint, where browsers post photos (tests/infra/aws_calls.py REGION).
BUCKET_ENDPOINT = f"wenzheng-{STAGE}-uploads.s3.ap-southeast-1.amazonaws.com"


@pytest.fixture(scope="module")
def built() -> dict[str, Any]:
    return template.build(STAGE)


def _resources(built: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in built["Resources"].items() if v.get("Type") == kind}


def _base(model: Any) -> str:
    return template._table_base_name(model)


# -- tables ----------------------------------------------------------------------------------


def test_every_model_is_one_table_named_for_the_stage(built: dict[str, Any]) -> None:
    from functions.storage.models import ALL_MODELS

    tables = _resources(built, "AWS::DynamoDB::Table")
    assert len(tables) == len(ALL_MODELS)
    names = {t["Properties"]["TableName"] for t in tables.values()}
    assert names == {f"wenzheng-{STAGE}-{_base(m)}" for m in ALL_MODELS}


def test_tables_have_the_models_keys_indexes_projections_and_ttl(built: dict[str, Any]) -> None:
    from pynamodb.attributes import TTLAttribute
    from pynamodb.indexes import GlobalSecondaryIndex

    from functions.storage.models import ALL_MODELS

    for model in ALL_MODELS:
        props = built["Resources"][template.table_logical_id(_base(model))]["Properties"]
        attributes = model.get_attributes()
        hash_key = next(a.attr_name for a in attributes.values() if a.is_hash_key)
        range_key = [a.attr_name for a in attributes.values() if a.is_range_key]
        assert props["KeySchema"] == [{"AttributeName": hash_key, "KeyType": "HASH"}] + [
            {"AttributeName": name, "KeyType": "RANGE"} for name in range_key
        ]
        indexes = {
            i.Meta.index_name: i
            for i in vars(model).values()
            if isinstance(i, GlobalSecondaryIndex)
        }
        in_template = {i["IndexName"]: i for i in props.get("GlobalSecondaryIndexes", [])}
        assert set(in_template) == set(indexes), model.__name__
        defined = {d["AttributeName"]: d["AttributeType"] for d in props["AttributeDefinitions"]}
        for name, index in indexes.items():
            keys = {
                a.attr_name: ("HASH" if a.is_hash_key else "RANGE")
                for a in index.Meta.attributes.values()
            }
            assert in_template[name]["KeySchema"][0]["KeyType"] == "HASH"
            assert {k["AttributeName"]: k["KeyType"] for k in in_template[name]["KeySchema"]} == (
                keys
            )
            assert in_template[name]["Projection"]["ProjectionType"] == (
                index.Meta.projection.projection_type
            )
            assert set(keys) <= set(defined)
        # Exactly the key attributes are defined (CloudFormation refuses any other).
        key_names = {k["AttributeName"] for k in props["KeySchema"]} | {
            k["AttributeName"] for i in in_template.values() for k in i["KeySchema"]
        }
        assert set(defined) == key_names
        ttl = [a.attr_name for a in attributes.values() if isinstance(a, TTLAttribute)]
        if ttl:
            assert props["TimeToLiveSpecification"] == {"AttributeName": ttl[0], "Enabled": True}
        else:
            assert "TimeToLiveSpecification" not in props


def test_tables_are_on_demand_encrypted_recoverable_and_kept(built: dict[str, Any]) -> None:
    for logical, table in _resources(built, "AWS::DynamoDB::Table").items():
        props = table["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST", logical
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert props["SSESpecification"] == {"SSEEnabled": True}
        assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"


def test_every_table_stays_within_the_default_quota_of_twenty_indexes(
    built: dict[str, Any],
) -> None:
    counts = {
        t["Properties"]["TableName"]: len(t["Properties"].get("GlobalSecondaryIndexes", []))
        for t in _resources(built, "AWS::DynamoDB::Table").values()
    }
    # The cases table carries 20 (board ×6, queue ×2, by-lead, desk, by-phone, rating-due,
    # followup-due, sla-due, cards, retire-due, audit ×3, unsatisfied): the default quota, full.
    # A further access pattern on cases takes a table of its own (as co-handling did) or a
    # quota increase.
    assert counts[f"wenzheng-{STAGE}-cases"] == 20
    assert max(counts.values()) <= template.GSI_QUOTA


# -- the site, CloudFront and the security headers -------------------------------------------


class _PageAudit(HTMLParser):
    """What a CSP without 'unsafe-inline' would block in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…> inline handler")
            if name == "style":
                self.problems.append(f"<{tag} style=…> inline style")
            if value and value.strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}=javascript:…>")
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "script":
            self._in_script = "src" not in named
            if named.get("src", "").startswith(("http:", "https:", "//")):
                self.problems.append(f"script from elsewhere: {named['src']}")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append("inline <script>")


def test_no_page_has_inline_script_handler_or_style() -> None:
    pages = sorted((ROOT / "frontend").glob("*.html"))
    assert len(pages) >= 10
    for page in pages:
        audit = _PageAudit()
        audit.feed(page.read_text(encoding="utf-8"))
        assert audit.problems == [], f"{page.name}: {audit.problems}"


def test_the_csp_allows_nothing_inline_and_nothing_from_elsewhere() -> None:
    csp = content_security_policy()
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert not re.search(r"https?:|\*", csp)


@pytest.mark.parametrize(
    ("tiles", "origin"),
    [
        ("", None),
        ("https://tiles.city.example:8443/base/{z}/{x}/{y}.png", "https://tiles.city.example:8443"),
    ],
    ids=["no-tiles", "city-tiles"],
)
def test_cloudfront_sends_the_same_security_headers_as_the_local_stack(
    built: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tiles: str, origin: str | None
) -> None:
    from functions.settings import settings
    from infra.security_headers import deployment_security_headers
    from tests.infra.aws_calls import resolve

    parameters = {"MapTiles": tiles, "DomainName": "wenzheng.example.gov.cn"}
    config = resolve(
        built["Resources"]["SecurityHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"][
            "SecurityHeadersConfig"
        ],
        built,
        parameters,
    )
    hsts = config["StrictTransportSecurity"]
    sent = {
        "Content-Security-Policy": config["ContentSecurityPolicy"]["ContentSecurityPolicy"],
        "Strict-Transport-Security": f"max-age={hsts['AccessControlMaxAgeSec']}"
        + ("; includeSubDomains" if hsts["IncludeSubdomains"] else ""),
        "Referrer-Policy": config["ReferrerPolicy"]["ReferrerPolicy"],
        "X-Content-Type-Options": "nosniff" if "ContentTypeOptions" in config else "",
        "X-Frame-Options": config["FrameOptions"]["FrameOption"],
    }
    api = built["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    post_url = resolve(api["WZ_UPLOADS_POST_URL"], built, parameters)
    assert post_url == f"https://{BUCKET_ENDPOINT}/"
    # A stack of this template: the local stack's headers with its settings are CloudFront's.
    monkeypatch.setenv("WZ_MAP_TILES", tiles)
    monkeypatch.setenv("WZ_UPLOADS_POST_URL", post_url)
    settings.cache_clear()
    try:
        assert sent == deployment_security_headers()  # what the local stack sends
    finally:
        settings.cache_clear()
    bucket = f"https://{BUCKET_ENDPOINT}"
    assert sent["Content-Security-Policy"] == content_security_policy(origin, bucket)
    # The local stack itself takes uploads on its own origin: the same headers, but for the
    # bucket in connect-src (and the tile server it is not given).
    assert {**sent, "Content-Security-Policy": content_security_policy()} == SECURITY_HEADERS
    assert all(part["Override"] for part in config.values())
    assert SECURITY_HEADERS["Referrer-Policy"] == "no-referrer"
    assert SECURITY_HEADERS["X-Frame-Options"] == "DENY"
    assert resolve(api["WZ_MAP_TILES"], built, parameters) == tiles


def test_the_uploads_bucket_adds_its_origin_to_connect_src_only() -> None:
    plain = dict(d.strip().split(" ", 1) for d in content_security_policy().split(";"))
    posting = dict(
        d.strip().split(" ", 1)
        for d in content_security_policy(None, f"https://{BUCKET_ENDPOINT}").split(";")
    )
    assert posting.pop("connect-src") == f"'self' https://{BUCKET_ENDPOINT}"
    plain.pop("connect-src")
    assert posting == plain
    # Only an absolute URL names an origin: the local stack's and China's POST URLs are paths
    # on the site's own origin, which 'self' covers.
    assert post_url_origin(f"https://{BUCKET_ENDPOINT}/") == f"https://{BUCKET_ENDPOINT}"
    for same_origin in ("/uploads", "/wenzheng-prod-uploads", ""):
        assert post_url_origin(same_origin) is None


def test_a_tile_server_adds_its_origin_to_img_src_only() -> None:
    plain = dict(d.strip().split(" ", 1) for d in content_security_policy().split(";"))
    tiled = dict(
        d.strip().split(" ", 1)
        for d in content_security_policy("https://tiles.city.example").split(";")
    )
    assert tiled.pop("img-src") == plain.pop("img-src") + " https://tiles.city.example"
    assert tiled == plain


@pytest.mark.parametrize(
    ("value", "allowed"),
    [
        ("", True),
        ("https://tiles.city.example/{z}/{x}/{y}.png", True),
        ("https://gis.city.example:8443/wmts?z={z}&x={x}&y={y}", True),
        ("http://tiles.city.example/{z}/{x}/{y}.png", False),
        ("https://tiles.city.example", False),
        ("https://t{s}.city.example/{z}/{x}/{y}.png", False),
    ],
)
def test_the_map_tiles_parameter_takes_one_https_origin(
    built: dict[str, Any], value: str, allowed: bool
) -> None:
    pattern = built["Parameters"]["MapTiles"]["AllowedPattern"]
    assert bool(re.fullmatch(pattern, value)) == allowed


def test_the_api_paths_go_uncached_to_the_api_stage_with_the_origin_secret(
    built: dict[str, Any],
) -> None:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    stage_name = config["stages"][STAGE]["api_gateway_stage"]
    distribution = built["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    origins = {o["Id"]: o for o in distribution["Origins"]}
    api = origins["api"]
    # The HTTP API's $default stage (infra/template.py ``http_api``): no stage in the path.
    assert "OriginPath" not in api and stage_name == "api"
    assert "${HttpApi}.execute-api." in api["DomainName"]["Fn::Sub"]
    assert [h["HeaderName"] for h in api["OriginCustomHeaders"]] == ["X-Origin-Verify"]
    assert "OriginSecret" in api["OriginCustomHeaders"][0]["HeaderValue"]["Fn::Sub"]
    behaviours = {
        b["PathPattern"]: b for b in distribution["CacheBehaviors"] if b["TargetOriginId"] == "api"
    }
    assert set(behaviours) == {"/api/*", "/open311/*", "/api/staff/oidc/callback"}
    # Single sign-on's callback reads one cookie (login CSRF): its behaviour comes before
    # /api/* (CloudFront takes the first match) and forwards that cookie; no other API path
    # gets any cookie.
    order = [b["PathPattern"] for b in distribution["CacheBehaviors"]]
    assert order.index("/api/staff/oidc/callback") < order.index("/api/*")
    callback = behaviours["/api/staff/oidc/callback"]
    assert callback["OriginRequestPolicyId"] == {"Ref": "SignInOriginRequestPolicy"}
    sign_in = built["Resources"]["SignInOriginRequestPolicy"]["Properties"][
        "OriginRequestPolicyConfig"
    ]
    assert sign_in["CookiesConfig"] == {"CookieBehavior": "whitelist", "Cookies": ["wz_oidc"]}
    from functions.services.staff_oidc import BROWSER_COOKIE, redirect_uri

    assert BROWSER_COOKIE == "wz_oidc" and redirect_uri().endswith("/api/staff/oidc/callback")
    # Every route of the app is under one of them.
    from app import app

    assert all(path.startswith(("/api/", "/open311/")) for path in app.routes)
    cache = built["Resources"]["ApiCachePolicy"]["Properties"]["CachePolicyConfig"]
    assert cache["DefaultTTL"] == cache["MinTTL"] == 0
    # Cached for as long as an answer says, and only a public one says so.
    from functions.api.spec import PUBLIC, SPECS, Spec

    declared = {
        (method, path): spec
        for (method, path), kept in SPECS.items()
        for spec in ([kept] if isinstance(kept, Spec) else [])
        if spec.cache_seconds
    }
    assert declared and all(method == "GET" for method, _ in declared)
    assert all(spec.security == PUBLIC for spec in declared.values()), declared
    assert cache["MaxTTL"] == max(s.cache_seconds for s in declared.values()) == 300
    forwarded = built["Resources"]["ApiOriginRequestPolicy"]["Properties"][
        "OriginRequestPolicyConfig"
    ]
    headers = (
        forwarded["HeadersConfig"]["Headers"]
        + cache["ParametersInCacheKeyAndForwardedToOrigin"]["HeadersConfig"]["Headers"]
    )
    assert "Host" not in headers and "CloudFront-Viewer-Address" in headers
    assert {"Authorization", "X-Link-Token", "Idempotency-Key", "Content-Type"} <= set(headers)
    assert forwarded["QueryStringsConfig"]["QueryStringBehavior"] == "all"
    assert forwarded["CookiesConfig"] == {"CookieBehavior": "none"}
    assert sign_in["HeadersConfig"] == forwarded["HeadersConfig"]
    for behaviour in behaviours.values():
        assert behaviour["TargetOriginId"] == "api"
        assert len(behaviour["AllowedMethods"]) == 7
        assert behaviour["ResponseHeadersPolicyId"] == {"Ref": "SecurityHeadersPolicy"}
    default = distribution["DefaultCacheBehavior"]
    assert default["TargetOriginId"] == "site"
    assert default["ResponseHeadersPolicyId"] == {"Ref": "SecurityHeadersPolicy"}
    assert "OriginAccessControlId" in origins["site"]
    # The API learns the secret from the same place.
    env = built["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert env["WZ_ORIGIN_SECRET"] == api["OriginCustomHeaders"][0]["HeaderValue"]


def test_buckets_are_private_encrypted_and_exports_versioned(built: dict[str, Any]) -> None:
    buckets = _resources(built, "AWS::S3::Bucket")
    assert set(buckets) == {"FrontendBucket", "ExportBucket", "UploadsBucket"}
    for bucket in buckets.values():
        props = bucket["Properties"]
        assert all(props["PublicAccessBlockConfiguration"].values())
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    exports = buckets["ExportBucket"]["Properties"]
    assert exports["VersioningConfiguration"] == {"Status": "Enabled"}
    # The name settings.py gives the stage's bucket when WZ_EXPORT_BUCKET is not set.
    source = (ROOT / "functions" / "settings.py").read_text(encoding="utf-8")
    assert '"WZ_EXPORT_BUCKET", f"wenzheng-{stage}-audit-exports"' in source
    assert exports["BucketName"] == f"wenzheng-{STAGE}-audit-exports"
    assert '"WZ_UPLOADS_BUCKET", f"wenzheng-{stage}-uploads"' in source
    assert buckets["UploadsBucket"]["Properties"]["BucketName"] == f"wenzheng-{STAGE}-uploads"


# -- functions' environment, mail, alarms ----------------------------------------------------


def _settings_variables() -> set[str]:
    source = (ROOT / "functions" / "settings.py").read_text(encoding="utf-8")
    return set(re.findall(r'env\.get\(\s*"(WZ_[A-Z0-9_]+)"', source))


def test_every_variable_the_template_sets_is_one_settings_reads(built: dict[str, Any]) -> None:
    read = _settings_variables()
    for name in template.function_names():
        props = built["Resources"][template.function_logical_id(name)]["Properties"]
        variables = set(props["Environment"]["Variables"])
        assert variables <= read, variables - read
        assert props["FunctionName"] == template.lambda_name(STAGE, name)


def test_the_totp_key_is_the_deployments_own_and_only_the_api_is_told_of_it(
    built: dict[str, Any],
) -> None:
    """§17: the staff TOTP secrets are sealed by a symmetric key of this stack (rotated
    yearly, kept if the stack goes), named by an alias; the API function reads its ARN."""
    [(logical, key)] = _resources(built, "AWS::KMS::Key").items()
    assert key["DeletionPolicy"] == "Retain" and key["Properties"]["EnableKeyRotation"]
    [alias] = _resources(built, "AWS::KMS::Alias").values()
    assert alias["Properties"] == {
        "AliasName": f"alias/wenzheng-{STAGE}-totp",
        "TargetKeyId": {"Ref": logical},
    }
    told = sorted(
        name
        for name in template.function_names()
        if "WZ_TOTP_KEY"
        in built["Resources"][template.function_logical_id(name)]["Properties"]["Environment"][
            "Variables"
        ]
    )
    assert told == ["api_handler"]
    api = built["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert api["WZ_TOTP_KEY"] == {"Fn::GetAtt": [logical, "Arn"]}


def test_only_the_api_reads_the_oidc_client_secret_the_parameter_names(
    built: dict[str, Any],
) -> None:
    """Single sign-on (§17): the stack parameters become the API function's settings, and
    its role may read that one secret (a secret's ARN ends in "-" and six characters)."""
    api = built["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert api["WZ_OIDC_ISSUER"] == {"Ref": "OidcIssuer"}
    assert api["WZ_OIDC_CLIENT_SECRET"] == {"Ref": "OidcClientSecretName"}
    readers = {}
    for name in template.function_names():
        role = built["Resources"][template.role_logical_id(name)]
        for statement in role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]:
            if "secretsmanager:GetSecretValue" in statement["Action"]:
                readers[name] = statement["Resource"]
    assert readers == {
        "api_handler": {
            "Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:"
            "secret:${OidcClientSecretName}-??????"
        }
    }


def test_ses_feedback_reaches_the_topic_the_ses_events_function_listens_to(
    built: dict[str, Any],
) -> None:
    from app import app

    [sns] = [s for s in app.event_sources if s.name == "ses_events"]
    topic = built["Resources"]["SesEventsTopic"]["Properties"]["TopicName"]
    assert topic == f"wenzheng-{STAGE}-ses-events"
    env = built["Resources"]["SesEvents"]["Properties"]["Environment"]["Variables"]
    assert env["WZ_SES_EVENTS_TOPIC"] == topic
    assert sns.topic.endswith("-ses-events")  # named by settings, per stage
    destination = built["Resources"]["ConfigurationSetEvents"]["Properties"]
    assert destination["EventDestination"]["SnsDestination"]["TopicARN"] == {
        "Ref": "SesEventsTopic"
    }
    assert set(destination["EventDestination"]["MatchingEventTypes"]) == {"bounce", "complaint"}
    name = built["Resources"]["ConfigurationSet"]["Properties"]["Name"]
    outbox_env = built["Resources"]["Outbox"]["Properties"]["Environment"]["Variables"]
    assert outbox_env["WZ_SES_CONFIGURATION_SET"] == name
    policy = built["Resources"]["SesEventsTopicPolicy"]["Properties"]["PolicyDocument"]
    assert policy["Statement"][0]["Principal"] == {"Service": "ses.amazonaws.com"}


def test_alarms_cover_every_function_the_api_sms_and_the_custom_metrics(
    built: dict[str, Any],
) -> None:
    from functions import metrics

    alarms = _resources(built, "AWS::CloudWatch::Alarm")
    for name in template.function_names():
        logical = template.function_logical_id(name)
        errors = alarms[f"{logical}ErrorsAlarm"]["Properties"]
        assert errors["MetricName"] == "Errors"
        assert errors["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": logical}}]
    # One throttle alarm for Lambda, on the account's metric (no dimension): not one a function.
    throttles = [
        a["Properties"] for a in alarms.values() if a["Properties"]["MetricName"] == "Throttles"
    ]
    assert len(throttles) == 1 and "Dimensions" not in throttles[0]
    assert throttles[0]["Namespace"] == "AWS/Lambda"
    # No alarm on a table's throttles: persisting ones fail a request or a job, which alarm.
    assert not [a for a in alarms.values() if a["Properties"].get("Namespace") == "AWS/DynamoDB"]
    # CloudWatch bills each metric an alarm evaluates: every alarm here evaluates one.
    assert all("Metrics" not in a["Properties"] for a in alarms.values())
    assert len(alarms) == len(template.function_names()) + 5, sorted(alarms)
    api_5xx = alarms["Api5xxAlarm"]["Properties"]
    assert (api_5xx["Namespace"], api_5xx["MetricName"]) == ("AWS/ApiGateway", "5xx")
    assert api_5xx["Dimensions"] == [
        {"Name": "ApiId", "Value": {"Ref": "HttpApi"}},
        {"Name": "Stage", "Value": "$default"},
    ]
    sms = alarms["SmsSpendAlarm"]["Properties"]
    assert sms["MetricName"] == "SMSMonthToDateSpentUSD"
    assert sms["Threshold"] == {"Ref": "SmsMonthlySpendLimit"}
    custom = {
        a["Properties"]["MetricName"]
        for a in alarms.values()
        if a["Properties"].get("Namespace") == metrics.NAMESPACE
    }
    assert custom == set(metrics.UNITS)
    for alarm in alarms.values():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_the_cli_writes_the_merge_template(tmp_path: Path) -> None:
    out = tmp_path / "merge.json"
    assert template.main(["--stage", STAGE, "--out", str(out)]) == 0
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written == json.loads(json.dumps(template.build(STAGE)))


def test_the_schedules_and_the_local_timer_run_the_jobs_of_the_one_table(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``functions.jobs.JOBS`` is the one list of jobs: each is one Chalice schedule (its
    name, its expression, a handler Lambda can import) whose handler runs that job with the
    invocation's request id, and one tick of the local timer runs the same jobs, in order,
    through the same ``run``."""
    import importlib
    from types import SimpleNamespace

    from app import app
    from functions import jobs
    from functions.jobs import JOBS, schedules
    from infra import local_stack

    ran: list[tuple[str, str | None]] = []

    def run(name: str, now: Any, *, request_id: str | None = None) -> dict[str, Any]:
        ran.append((name, request_id))
        return {}

    monkeypatch.setattr(jobs, "run", run)
    monkeypatch.setattr(schedules, "run", run)
    scheduled = [s for s in app.event_sources if hasattr(s, "schedule_expression")]
    assert [s.name for s in scheduled] == list(JOBS)
    event = {
        "version": "0",
        "id": "e",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "123456789012",
        "time": "2026-11-02T02:00:00Z",
        "region": "ap-southeast-1",
        "resources": [],
        "detail": {},
    }
    for source in scheduled:
        assert source.schedule_expression.to_string() == JOBS[source.name].schedule.to_string()
        module, name = source.handler_string.rsplit(".", 1)
        handler = getattr(importlib.import_module(module), name)
        handler(event, SimpleNamespace(aws_request_id=f"invocation-{source.name}"))
    assert ran == [(name, f"invocation-{name}") for name in JOBS]

    ran.clear()
    local_stack.tick()
    assert [name for name, _ in ran] == list(JOBS)
    request_ids = [request_id for _, request_id in ran]
    assert all(request_ids) and len(set(request_ids)) == len(JOBS)  # one per run, as Lambda


def test_processed_photos_are_served_from_the_private_uploads_bucket_through_media(
    built: dict[str, Any],
) -> None:
    resources = built["Resources"]
    bucket = resources["UploadsBucket"]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True
    [orphans, _mail, older] = bucket["LifecycleConfiguration"]["Rules"]
    assert (orphans["Prefix"], orphans["ExpirationInDays"]) == ("uploads/", 1)
    # Display photos a month old go to Standard-IA; thumbnails (under its 128 KB minimum) stay.
    assert older["Prefix"] == "processed/" and older["ObjectSizeGreaterThan"] == "131072"
    assert older["Transitions"] == [{"StorageClass": "STANDARD_IA", "TransitionInDays": 30}]
    assert "ExpirationInDays" not in older  # photos stay with their case
    [notification, _inbound] = bucket["NotificationConfiguration"]["LambdaConfigurations"]
    assert notification["Function"] == {"Fn::GetAtt": ["ProcessUpload", "Arn"]}
    assert notification["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "uploads/"}]
    permission = resources["UploadsInvokePermission"]["Properties"]
    assert permission["Principal"] == "s3.amazonaws.com"
    assert permission["SourceArn"]["Fn::Sub"].endswith(f":::wenzheng-{STAGE}-uploads")
    assert "UploadsInvokePermission" in resources["UploadsBucket"]["DependsOn"]
    # CloudFront may read processed/ and nothing else of the bucket.
    [reads, _ses, _tls] = resources["UploadsBucketPolicy"]["Properties"]["PolicyDocument"][
        "Statement"
    ]
    assert reads["Resource"] == {"Fn::Sub": "${UploadsBucket.Arn}/processed/*"}
    distribution = resources["Distribution"]["Properties"]["DistributionConfig"]
    [media] = [b for b in distribution["CacheBehaviors"] if b["PathPattern"] == "/media/*"]
    assert media["TargetOriginId"] == "media" and media["AllowedMethods"] == ["GET", "HEAD"]
    [rewrite] = media["FunctionAssociations"]
    assert rewrite["EventType"] == "viewer-request"
    code = resources["MediaRewrite"]["Properties"]["FunctionCode"]
    assert "'/processed/'" in code and "/media" in code
    # The API signs browsers' POSTs to uploads/ (and staff's downloads of a mailed case's
    # files/); processing reads uploads/ and writes processed/.
    api_role = resources["ApiHandlerRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    bucket_arn = f"arn:${{AWS::Partition}}:s3:::wenzheng-{STAGE}-uploads"
    api_media = {
        s["Resource"]["Fn::Sub"]: s["Action"]
        for s in api_role["Statement"]
        if s["Sid"].startswith("Media")
    }
    assert api_media == {
        f"{bucket_arn}/uploads/*": ["s3:PutObject"],
        f"{bucket_arn}/files/*": ["s3:GetObject"],
    }
    role = resources["ProcessUploadRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    granted = {
        s["Resource"]["Fn::Sub"]: s["Action"]
        for s in role["Statement"]
        if s["Sid"].startswith("Media")
    }
    assert granted == {
        f"{bucket_arn}/uploads/*": ["s3:GetObject", "s3:DeleteObject"],
        f"{bucket_arn}/processed/*": ["s3:PutObject"],
    }


def test_browsers_post_photos_straight_to_the_bucket_allowed_by_cors_and_the_csp(
    built: dict[str, Any],
) -> None:
    """Nothing of an upload goes through CloudFront (data towards an origin is billed there,
    into S3 it is free): the API hands out the bucket's own endpoint, the bucket lets the
    site's origin alone POST, and the CSP's connect-src names that endpoint and nothing else."""
    from tests.infra.aws_calls import resolve

    resources = built["Resources"]
    parameters = {"DomainName": "wenzheng.example.gov.cn", "MapTiles": ""}
    api = resources["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert resolve(api["WZ_UPLOADS_POST_URL"], built, parameters) == f"https://{BUCKET_ENDPOINT}/"
    [rule] = resources["UploadsBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
    assert resolve(rule, built, parameters) == {
        "Id": "SitePostsUploads",
        "AllowedMethods": ["POST"],
        "AllowedOrigins": ["https://wenzheng.example.gov.cn"],
        "MaxAge": 600,
    }  # no header beyond the safelisted ones, nothing exposed, no wildcard
    for tiles in ("", "https://tiles.city.example/{z}/{x}/{y}.png"):
        config = resources["SecurityHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
        csp = resolve(
            config["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"],
            built,
            {**parameters, "MapTiles": tiles},
        )
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["connect-src"] == f"'self' https://{BUCKET_ENDPOINT}"
        assert directives["form-action"] == "'self'"  # the POST is a script's, not a form's
    # No /uploads behaviour, uploads origin or rewrite function any more.
    distribution = resources["Distribution"]["Properties"]["DistributionConfig"]
    assert [
        b["PathPattern"] for b in distribution["CacheBehaviors"] if "POST" in b["AllowedMethods"]
    ] == [
        template.SIGN_IN_CALLBACK_PATH,
        *template.API_PATHS,
    ]
    assert {o["Id"] for o in distribution["Origins"]} == {"site", "api", "media"}
    functions = _resources(built, "AWS::CloudFront::Function")
    assert list(functions) == ["MediaRewrite"]


def test_mail_to_the_mailbox_is_stored_under_inbound_and_invokes_the_intake(
    built: dict[str, Any],
) -> None:
    """市长信箱 (issue 19 §1): SES's receipt rule (only with a MailboxAddress) stores each
    message under inbound/ses/ of the uploads bucket, which invokes receive_mail (what the
    IMAP poller stores under inbound/imap/ it processes itself: no S3 event); a stored
    message expires after a month; SES may write inbound/ses/ only, for this account."""
    resources = built["Resources"]
    bucket = resources["UploadsBucket"]["Properties"]
    [_uploads, mail, _photos] = bucket["LifecycleConfiguration"]["Rules"]
    assert (mail["Prefix"], mail["ExpirationInDays"]) == ("inbound/", 30)
    [_photos, inbound] = bucket["NotificationConfiguration"]["LambdaConfigurations"]
    assert inbound["Function"] == {"Fn::GetAtt": ["ReceiveMail", "Arn"]}
    assert inbound["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "inbound/ses/"}]
    assert "InboundMailInvokePermission" in resources["UploadsBucket"]["DependsOn"]
    permission = resources["InboundMailInvokePermission"]["Properties"]
    assert permission["FunctionName"] == {"Ref": "ReceiveMail"}
    statements = resources["UploadsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    [ses] = [s for s in statements if s.get("Principal") == {"Service": "ses.amazonaws.com"}]
    assert ses["Action"] == "s3:PutObject"
    assert ses["Resource"] == {"Fn::Sub": "${UploadsBucket.Arn}/inbound/ses/*"}
    rule = resources["MailboxRule"]
    assert rule["Condition"] == resources["MailboxRuleSet"]["Condition"] == "HasMailbox"
    [action] = rule["Properties"]["Rule"]["Actions"]
    assert action["S3Action"]["ObjectKeyPrefix"] == "inbound/ses/"
    assert rule["Properties"]["Rule"]["Recipients"] == [{"Ref": "MailboxAddress"}]
    env = resources["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert env["WZ_MAILBOX_ADDRESS"] == {"Ref": "MailboxAddress"}
