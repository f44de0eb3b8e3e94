"""``infra/deploy.py`` against moto. moto's CloudFormation cannot create SAM resources
(``AWS::Serverless::*``: no transform), so the packaged template is taken as far as a dry run
(artifacts, the CodeUri rewrite, the change set), and the execute path (wait, outputs, site
sync, invalidation, SMS attributes) runs on a plain template with a site bucket."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra import deploy as d
from infra import site_build

REGION = "ap-southeast-1"
ROOT = Path(__file__).resolve().parents[2]

SITE_TEMPLATE: dict[str, Any] = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Parameters": {
        "DomainName": {"Type": "String"},
        "SenderAddress": {"Type": "String"},
        "SmsMonthlySpendLimit": {"Type": "String", "Default": "10"},
        "OriginSecret": {"Type": "String", "NoEcho": True},
        "DistributionIdForTest": {"Type": "String"},
    },
    "Resources": {"SiteBucket": {"Type": "AWS::S3::Bucket"}},
    "Outputs": {
        "SiteBucketName": {"Value": {"Ref": "SiteBucket"}},
        "DistributionId": {"Value": {"Ref": "DistributionIdForTest"}},
    },
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site as make package builds it (infra/site_build.py), in a folder of its own."""
    folder = tmp_path_factory.mktemp("built")
    site_build.build(site=folder / "site", manifest_path=folder / "site-manifest.json")
    return folder / "site"


@pytest.fixture()
def session() -> Iterator[Any]:
    with mock_aws():
        yield boto3.Session(region_name=REGION)


def _distribution(session: Any) -> str:
    origin = {
        "Id": "site",
        "DomainName": "site.s3.amazonaws.com",
        "S3OriginConfig": {"OriginAccessIdentity": ""},
    }
    config = {
        "CallerReference": "test",
        "Comment": "",
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [origin]},
        "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "https-only"},
    }
    answer = session.client("cloudfront").create_distribution(DistributionConfig=config)
    return str(answer["Distribution"]["Id"])


def test_every_function_of_the_packaged_template_points_at_the_one_uploaded_zip(
    package_dir: Path,
) -> None:
    template = json.loads((package_dir / "sam.json").read_text())
    uploads: list[Path] = []

    def upload(path: Path) -> str:
        uploads.append(path)
        return "prod/abc/deployment.zip"

    keys = d.rewrite_artifacts(template, upload, "artifacts", package_dir)
    assert keys == {"./deployment.zip": "prod/abc/deployment.zip"}
    assert uploads == [(package_dir / "deployment.zip").resolve()]
    functions = {
        name: resource["Properties"]["CodeUri"]
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }
    assert "APIHandler" in functions and len(functions) >= 8
    assert all(
        uri == {"Bucket": "artifacts", "Key": "prod/abc/deployment.zip"}
        for uri in functions.values()
    )
    # Too big to send inline (51,200 bytes): the deploy sends it by URL (1 MB).
    assert 51_200 < len(json.dumps(template)) < 1_000_000


def test_a_dry_run_uploads_the_artifacts_and_stops_at_the_change_set(
    session: Any, tmp_path: Path, site: Path
) -> None:
    with zipfile.ZipFile(tmp_path / "deployment.zip", "w") as package:
        package.writestr("app.py", "app = None\n")
    function = {
        "Type": "AWS::Serverless::Function",
        "Properties": {
            "CodeUri": "./deployment.zip",
            "Handler": "app.app",
            "Runtime": "python3.11",
        },
    }
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Parameters": SITE_TEMPLATE["Parameters"],
        "Resources": {"APIHandler": function, "Outbox": function, **SITE_TEMPLATE["Resources"]},
    }
    (tmp_path / "sam.json").write_text(json.dumps(template))
    said: list[str] = []
    given = {"DomainName": "a.example", "SenderAddress": "a@a.example"}
    given["DistributionIdForTest"] = "E2EXAMPLE"
    options = d.Options("prod", REGION, tmp_path, given, dry_run=True, frontend=site)
    result = d.deploy(session, options, said.append)

    s3 = session.client("s3")
    bucket = result["artifacts_bucket"]
    assert bucket == f"wenzheng-artifacts-123456789012-{REGION}"
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values())
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    zip_key = result["artifacts"]["./deployment.zip"]
    uploaded = s3.get_object(Bucket=bucket, Key=zip_key)["Body"].read()
    assert uploaded == (tmp_path / "deployment.zip").read_bytes()
    sent = json.loads(s3.get_object(Bucket=bucket, Key=result["template_key"])["Body"].read())
    assert sent["Resources"]["Outbox"]["Properties"]["CodeUri"] == {
        "Bucket": bucket,
        "Key": zip_key,
    }
    # The local package is untouched.
    assert "./deployment.zip" in (tmp_path / "sam.json").read_text()

    cfn = session.client("cloudformation")
    stack = cfn.describe_stacks(StackName="wenzheng-prod")["Stacks"][0]
    assert stack["StackStatus"] == "REVIEW_IN_PROGRESS"
    changed = {c["ResourceChange"]["LogicalResourceId"] for c in result["changes"]}
    assert changed == {"APIHandler", "Outbox", "SiteBucket"}
    assert any("APIHandler" in line and "AWS::Serverless::Function" in line for line in said)
    assert result["executed"] is False
    assert "MonthlySpendLimit" not in session.client("sns").get_sms_attributes()["attributes"]


def test_a_deploy_creates_the_stack_syncs_the_site_invalidates_and_sets_sms(
    session: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, site: Path
) -> None:
    (tmp_path / "sam.json").write_text(json.dumps(SITE_TEMPLATE))
    distribution = _distribution(session)
    # moto keeps no Outputs on a stack made by a change set: the site bucket is then found
    # among the stack's resources (the fallback), the distribution (no moto CloudFormation
    # support) is supplied. Reading the outputs is tested below on a stack moto does keep them for.
    real_site_targets = d.site_targets

    def site_targets(cfn: Any, stack: str, outputs: dict[str, str]) -> tuple[str, str | None]:
        assert outputs == {}
        bucket, found = real_site_targets(cfn, stack, outputs)
        assert found is None
        return bucket, distribution

    monkeypatch.setattr(d, "site_targets", site_targets)
    given = {
        "DomainName": "wenzheng.example.gov.cn",
        "SenderAddress": "noreply@example.gov.cn",
        "DistributionIdForTest": distribution,
    }
    said: list[str] = []
    options = d.Options("prod", REGION, tmp_path, given, frontend=site)
    first = d.deploy(session, options, said.append)

    assert first["executed"] is True
    stack = session.client("cloudformation").describe_stacks(StackName="wenzheng-prod")
    assert stack["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    secret = next(p for p in first["parameters"] if p["ParameterKey"] == "OriginSecret")
    assert len(secret["ParameterValue"]) >= 40
    assert not [line for line in said if secret["ParameterValue"] in line]
    assert "  OriginSecret = **** (generated)" in said
    assert "  DomainName = wenzheng.example.gov.cn" in said

    s3 = session.client("s3")
    built, site = site, first["site_bucket"]
    files = [p for p in built.rglob("*") if p.is_file()]
    for path in files:
        head = s3.head_object(Bucket=site, Key=path.relative_to(built).as_posix())
        assert head["ContentType"] == d.content_type(path)
        assert head["CacheControl"] == d.cache_control(path)
    pages = {p.name: p for p in files}
    assert d.content_type(pages["index.html"]) == "text/html; charset=utf-8"
    assert d.cache_control(pages["index.html"]).startswith("public, max-age=0, must-revalidate")
    css = next(p for p in files if p.suffix == ".css")
    script = next(p for p in files if p.suffix == ".js")
    assert d.content_type(css) == "text/css; charset=utf-8"
    assert d.content_type(script).startswith("text/javascript")
    # The built assets are named by their content: kept a year, never asked about again.
    assert d.cache_control(css) == d.cache_control(script) == d.CACHE_HASHED
    assert d.CACHE_HASHED == "public, max-age=31536000, immutable"
    assert d.content_type(pages["favicon.svg"]) == "image/svg+xml"
    assert d.cache_control(pages["favicon.svg"]) == d.CACHE_ASSET
    invalidations = session.client("cloudfront").list_invalidations(DistributionId=distribution)
    assert len(invalidations["InvalidationList"]["Items"]) == 1
    sms = session.client("sns").get_sms_attributes()["attributes"]
    assert sms["DefaultSMSType"] == "Transactional" and sms["MonthlySpendLimit"] == "10"
    assert first["url"] == "https://wenzheng.example.gov.cn/"

    # An update keeps the secret and deletes objects no longer in frontend/.
    s3.put_object(Bucket=site, Key="removed-page.html", Body=b"old")
    second = d.deploy(session, options, said.append)
    assert {"ParameterKey": "OriginSecret", "UsePreviousValue": True} in second["parameters"]
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=site)["Contents"]}
    assert "removed-page.html" not in keys and len(keys) == len(files)


def test_the_site_bucket_and_distribution_come_from_the_stack_outputs(session: Any) -> None:
    template = {
        "Resources": {"SiteBucket": {"Type": "AWS::S3::Bucket"}},
        "Outputs": {
            "SiteBucketName": {"Value": {"Ref": "SiteBucket"}},
            "DistributionId": {"Value": "E2EXAMPLE"},
        },
    }
    cfn = session.client("cloudformation")
    cfn.create_stack(StackName="wenzheng-prod", TemplateBody=json.dumps(template))
    described = d.describe_stack(cfn, "wenzheng-prod") or {}
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described["Outputs"]}
    bucket, distribution = d.site_targets(cfn, "wenzheng-prod", outputs)
    assert bucket.startswith("wenzheng-prod-sitebucket") and distribution == "E2EXAMPLE"
    assert d.describe_stack(cfn, "wenzheng-missing") is None


def test_parameters_are_checked_against_the_template_and_no_echo_values_are_masked() -> None:
    declared = {
        "DomainName": {"Type": "String"},
        "Token": {"Type": "String", "NoEcho": "true"},
        "Limit": {"Type": "String", "Default": "1"},
    }
    params = d.stack_parameters(
        declared, {"DomainName": "a.example", "Token": "s3cr3t"}, updating=False
    )
    assert {"ParameterKey": "Token", "ParameterValue": "s3cr3t"} in params.values
    assert params.shown == ["DomainName = a.example", "Limit = 1 (default)", "Token = ****"]
    with pytest.raises(d.DeployError, match="declares no parameter Domain"):
        d.stack_parameters(declared, {"Domain": "x", "Token": "t"}, updating=False)
    with pytest.raises(d.DeployError, match="Token needs a value"):
        d.stack_parameters(declared, {"DomainName": "a.example"}, updating=False)
    updated = d.stack_parameters(
        declared, {"DomainName": "b.example"}, updating=True, previous=["DomainName", "Token"]
    )
    assert {"ParameterKey": "Token", "UsePreviousValue": True} in updated.values


def test_every_frontend_and_built_file_has_a_known_content_type(site: Path) -> None:
    unknown = [
        p.name
        for p in [*(ROOT / "frontend").rglob("*"), *site.rglob("*")]
        if p.is_file() and p.suffix.lower() not in d.CONTENT_TYPES
    ]
    assert unknown == []


def test_a_deploy_keeps_the_hashed_files_it_drops_for_a_day(session: Any, tmp_path: Path) -> None:
    """The pages of the last deploy, still in browsers or at an edge the invalidation has not
    reached, find their script and stylesheet for a day; then they go. Other files that left
    the site go at once."""
    s3 = session.client("s3")
    s3.create_bucket(Bucket="site", CreateBucketConfiguration={"LocationConstraint": REGION})
    old, new = tmp_path / "old", tmp_path / "new"
    for folder, digest in ((old, "AAAAAAAA"), (new, "BBBBBBBB")):
        (folder / "assets").mkdir(parents=True)
        (folder / "index.html").write_text(f'<script src="assets/index.{digest}.js"></script>')
        (folder / "assets" / f"index.{digest}.js").write_text(f"// {digest}")
    (old / "gone.html").write_text("old page")
    start = datetime(2026, 12, 5, 8, 0, tzinfo=UTC)

    def keys() -> set[str]:
        return {o["Key"] for o in s3.list_objects_v2(Bucket="site")["Contents"]}

    assert d.sync_frontend(s3, "site", old, now=start) == (3, 0)
    assert d.sync_frontend(s3, "site", new, now=start + timedelta(hours=2)) == (2, 1)
    assert keys() == {"index.html", "assets/index.AAAAAAAA.js", "assets/index.BBBBBBBB.js"}
    kept = s3.head_object(Bucket="site", Key="assets/index.AAAAAAAA.js")
    assert kept["CacheControl"] == d.CACHE_HASHED and kept["ContentType"].startswith("text/java")
    body = s3.get_object(Bucket="site", Key="assets/index.AAAAAAAA.js")["Body"].read()
    assert body == b"// AAAAAAAA"
    # A day after the deploy that dropped it, not a day after it was first uploaded.
    assert d.sync_frontend(s3, "site", new, now=start + timedelta(hours=25)) == (2, 0)
    assert d.sync_frontend(s3, "site", new, now=start + timedelta(hours=26, minutes=1)) == (2, 1)
    assert keys() == {"index.html", "assets/index.BBBBBBBB.js"}


def test_a_deploy_without_a_built_site_says_to_run_make_package(
    session: Any, tmp_path: Path
) -> None:
    (tmp_path / "sam.json").write_text(json.dumps(SITE_TEMPLATE))
    options = d.Options("prod", REGION, tmp_path, {}, frontend=tmp_path / "no-site")
    with pytest.raises(d.DeployError, match="no built site: run `make package STAGE=prod`"):
        d.deploy(session, options)


def test_deploy_without_a_package_says_to_run_make_package(
    session: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = d.main(["--stage", "prod", "--region", REGION, "--package-dir", str(tmp_path)])
    assert code == 1
    assert "make package STAGE=prod" in capsys.readouterr().err
