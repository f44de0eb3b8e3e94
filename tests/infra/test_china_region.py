"""A stage in an AWS China region (issue 19 §4, DESIGN §17): the template of partition
``aws-cn`` (infra/template.py ``build(stage, region)``), cfn-linted for both partitions, and
deployed by ``infra/deploy.py`` through moto's CloudFormation in cn-northwest-1.

moto's CloudFormation cannot run SAM (no transform): the packaged template goes through the
deploy as far as its change set, then the same template with each ``AWS::Serverless::*``
written out as the plain resources SAM makes of it (``plain``) is deployed to the end. moto
resolves ``AWS::Partition`` and ``AWS::URLSuffix`` to the global partition's whatever the
region; ``china_pseudo_parameters`` gives them China's values, as CloudFormation does there."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra import deploy as d
from infra import permissions, template

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")

CN_REGION = "cn-northwest-1"
STAGE = "prod"
SMS_SECRET = "wenzheng/prod/sms"
SMTP_SECRET = "wenzheng/prod/smtp"
GIVEN = {
    "DomainName": "wenzheng.example.gov.cn",
    "SenderAddress": "noreply@example.gov.cn",
    "IamCertificateId": "ASCAEXAMPLE0123456789",
    "SmsProvider": "aliyun",
    "SmsSecretName": SMS_SECRET,
    "SmsTemplates": '{"citizen_otp": "SMS_100001", "received": "SMS_100002"}',
    "SmsSignature": "【临江问政】",
    "SmtpHost": "smtp.example.gov.cn",
    "SmtpUser": "noreply@example.gov.cn",
    "SmtpSecretName": SMTP_SECRET,
}
# 市长信箱 by IMAP, for the deploy: the poller's grant is rendered.
MAILBOX = {
    "ImapHost": "imap.example.gov.cn",
    "ImapUser": "szxx@example.gov.cn",
    "ImapPasswordSecretName": "wenzheng/prod/imap",
    "MailboxAddress": "szxx@example.gov.cn",
}
# What SES and SNS SMS bring to a global stage: none of it in China.
SES_TYPES = re.compile(r"^AWS::SES::")
SES_ACTIONS = re.compile(r'"(ses|sesv2):|"sns:Publish"')
NO_VALUE = "AWS::NoValue"  # (the resolver of tests/infra/aws_calls.py takes it as a parameter)


@pytest.fixture(scope="module")
def china() -> dict[str, Any]:
    return template.build(STAGE, CN_REGION)


def _types(built: dict[str, Any]) -> set[str]:
    return {r["Type"] for r in built["Resources"].values() if "Type" in r}


def _statements(built: dict[str, Any], name: str) -> list[Any]:
    role = built["Resources"][template.role_logical_id(name)]["Properties"]
    statements: list[Any] = role["Policies"][0]["PolicyDocument"]["Statement"]
    return statements


# -- the template ----------------------------------------------------------------------------


def test_a_global_region_keeps_the_template_it_had() -> None:
    assert template.build(STAGE, "ap-southeast-1") == template.build(STAGE)
    assert template.partition("ap-east-1") == "aws"
    assert template.partition("cn-north-1") == template.partition(CN_REGION) == "aws-cn"


def test_a_china_stage_has_no_ses_no_sms_alarm_and_no_ses_events_function(
    china: dict[str, Any],
) -> None:
    assert not {t for t in _types(china) if SES_TYPES.match(t)}
    resources = china["Resources"]
    assert not {"SesEventsTopic", "SesEventsTopicPolicy", "ConfigurationSet"} & set(resources)
    assert "SmsSpendAlarm" not in resources and "SmsMonthlySpendLimit" not in china["Parameters"]
    assert "ses_events" not in template.function_names(china=True)
    assert "ses_events" in template.function_names()
    assert "SesEventsTopicArn" not in china["Outputs"]
    assert not SES_ACTIONS.search(json.dumps(china))
    for name in template.function_names(china=True):
        variables = resources[template.function_logical_id(name)]["Properties"]["Environment"]
        assert not {v for v in variables["Variables"] if v.startswith("WZ_SES_")}


def test_every_arn_and_endpoint_of_the_china_template_follows_the_partition(
    china: dict[str, Any],
) -> None:
    text = json.dumps(china)
    assert "arn:aws:" not in text and "amazonaws.com.cn" not in text
    arns = re.findall(r"arn:(\$\{[^}]*\}|[^:\"]*):", text)
    assert arns and set(arns) == {"${AWS::Partition}"}
    # Service principals are ``<service>.amazonaws.com`` in China too (IAM refuses the
    # ``.com.cn`` form for these); endpoints are built with ${AWS::URLSuffix}.
    principals = set(re.findall(r'"(?:Service|Principal)": "([^"]+)"', text))
    assert principals - {"*"} == {"lambda.amazonaws.com", "s3.amazonaws.com"}  # "*": TlsOnly
    origins = china["Resources"]["Distribution"]["Properties"]["DistributionConfig"]["Origins"]
    custom = {o["Id"]: o["DomainName"]["Fn::Sub"] for o in origins if "CustomOriginConfig" in o}
    assert custom == {
        "api": "${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}",
        "uploads": "s3.${AWS::Region}.${AWS::URLSuffix}",
    }
    assert china["Resources"]["RestAPI"] == {"Properties": {"EndpointConfiguration": "REGIONAL"}}


def test_the_functions_get_the_providers_settings_from_the_stack_parameters(
    china: dict[str, Any],
) -> None:
    from tests.infra.aws_calls import resolve

    expected = {
        "WZ_SMS_PROVIDER": "aliyun",
        "WZ_SMS_SECRET": SMS_SECRET,
        "WZ_SMS_TEMPLATES": GIVEN["SmsTemplates"],
        "WZ_SMS_SIGNATURE": "【临江问政】",
        "WZ_MAIL_PROVIDER": "smtp",
        "WZ_SMTP_HOST": "smtp.example.gov.cn",
        "WZ_SMTP_PORT": "465",
        "WZ_SMTP_TLS": "implicit",
        "WZ_SMTP_USER": "noreply@example.gov.cn",
        "WZ_SMTP_SECRET": SMTP_SECRET,
        "WZ_IMAP_HOST": "",
        "WZ_IMAP_PORT": "993",
        "WZ_IMAP_USER": "",
        "WZ_IMAP_PASSWORD_SECRET": "",
        # No CloudFront function rewrites /media/ there: photos are linked by their own keys.
        "WZ_MEDIA_PATH": "/processed/",
    }
    parameters = {
        name: str(spec.get("Default", "")) for name, spec in china["Parameters"].items()
    } | GIVEN
    for name in template.function_names(china=True):
        variables = china["Resources"][template.function_logical_id(name)]["Properties"][
            "Environment"
        ]["Variables"]
        got = {k: resolve(variables[k], china, parameters) for k in expected}
        assert got == expected, name
    # Every other variable is one settings.py reads.
    from tests.infra.test_template import _settings_variables

    api = china["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert set(api) - set(expected) <= _settings_variables()
    assert api["WZ_UPLOADS_POST_URL"] == f"/wenzheng-{STAGE}-uploads"


def test_only_the_functions_that_send_read_exactly_the_provider_secrets(
    china: dict[str, Any],
) -> None:
    """The outbox reads the SMS provider's and the SMTP server's secrets, the SMS receipts
    job the SMS provider's (permissions.py ``secrets``); the IMAP poller reads the mailbox's
    password, and only when there is a mailbox (below); no other function reads a secret."""
    provider_sids = ("ProviderSecrets", "ImapPassword")
    readers = {}
    for name in template.function_names(china=True):
        grants = [
            s
            for s in _statements(china, name)
            if any(sid in json.dumps(s) for sid in provider_sids)
        ]
        if grants:
            readers[name] = grants
    assert set(readers) == {"outbox", "sms-receipts", "poll-mailbox"}
    named = {
        name: [r["Fn::Sub"].rsplit(":", 1)[1] for r in grants[0]["Resource"]]
        for name, grants in readers.items()
        if name != "poll-mailbox"
    }
    assert named == {
        "outbox": ["${SmsSecretName}-??????", "${SmtpSecretName}-??????"],
        "sms-receipts": ["${SmsSecretName}-??????"],
    }
    for name in named:
        [grant] = readers[name]
        assert grant["Action"] == ["secretsmanager:GetSecretValue"]
    assert permissions.FUNCTIONS["outbox"].secrets == ("sms", "smtp")
    # The global template grants SES and SNS instead, and no secret.
    built = template.build(STAGE)
    roles = [built["Resources"][template.role_logical_id(n)] for n in template.function_names()]
    assert not [sid for sid in provider_sids if sid in json.dumps(roles)]


def test_the_functions_that_send_sms_carry_the_providers_sdks_as_a_layer(
    china: dict[str, Any],
) -> None:
    resources = china["Resources"]
    layered = {
        name
        for name in template.function_names(china=True)
        if "Layers" in resources[template.function_logical_id(name)]["Properties"]
    }
    assert layered == {"outbox", "sms-receipts"}
    assert resources["Outbox"]["Properties"]["Layers"] == [{"Ref": "ProvidersLayer"}]
    layer = resources["ProvidersLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert layer["Properties"]["ContentUri"] == "./providers-layer.zip"  # make package's
    assert "ProvidersLayer" not in template.build(STAGE)["Resources"]


def test_the_imap_poller_reads_the_imap_password_only_with_a_mailbox(
    china: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The poller job (``poll-mailbox``) needs no permissions.py flag: its name is enough,
    and the grant holds only when ImapHost is given."""
    from tests.infra.aws_calls import resolve

    assert china["Conditions"]["HasImap"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "ImapHost"}, ""]}]
    }
    [conditional] = _statements(china, "poll-mailbox")[-1:]
    assert conditional["Fn::If"][0] == "HasImap"
    mailbox = {"ImapPasswordSecretName": "wenzheng/prod/imap", "ImapHost": "imap.example"}
    statements = resolve(_statements(china, "poll-mailbox"), china, mailbox)
    assert statements[-1] == {
        "Sid": "ImapPassword",
        "Effect": "Allow",
        "Action": ["secretsmanager:GetSecretValue"],
        # (the resolver's region and account; CloudFormation's are the stack's)
        "Resource": [
            "arn:aws:secretsmanager:ap-southeast-1:123456789012:secret:wenzheng/prod/imap-??????"
        ],
    }
    without = resolve(_statements(china, "poll-mailbox"), china, {"ImapHost": "", NO_VALUE: ""})
    assert without[-1] == "" and "secretsmanager" not in json.dumps(without)
    # Without a poller, no condition is left unused (cfn-lint's W8001).
    names = [n for n in template.function_names(china=True) if n not in template.IMAP_POLLERS]
    monkeypatch.setattr(template, "function_names", lambda china=False: names)
    assert "HasImap" not in template.build(STAGE, CN_REGION)["Conditions"]


def test_cloudfront_in_china_serves_the_icp_filed_domain_over_an_iam_certificate(
    china: dict[str, Any],
) -> None:
    resources = china["Resources"]
    types = _types(china)
    assert not {"AWS::CloudFront::Function", "AWS::CloudFront::OriginAccessControl"} & types
    config = resources["Distribution"]["Properties"]["DistributionConfig"]
    assert config["Aliases"] == [{"Ref": "DomainName"}]
    assert config["ViewerCertificate"] == {
        "IamCertificateId": {"Ref": "IamCertificateId"},
        "SslSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021",
    }
    assert "CertificateArn" not in china["Parameters"]
    assert "Default" not in china["Parameters"]["IamCertificateId"]
    assert "ICP" in china["Parameters"]["DomainName"]["Description"]
    # Both buckets are read through the one origin access identity, the uploads bucket's
    # processed/ only; uploads go to the bucket's path-style endpoint, same origin.
    identity = {"Fn::Sub": "origin-access-identity/cloudfront/${OriginAccessIdentity}"}
    origins = {o["Id"]: o for o in config["Origins"]}
    assert (
        origins["site"]["S3OriginConfig"]
        == origins["media"]["S3OriginConfig"]
        == {"OriginAccessIdentity": identity}
    )
    behaviours = {b["PathPattern"]: b for b in config["CacheBehaviors"]}
    assert behaviours["/processed/*"]["TargetOriginId"] == "media"
    post = behaviours[f"/wenzheng-{STAGE}-uploads"]
    assert post["TargetOriginId"] == "uploads" and "POST" in post["AllowedMethods"]
    assert not any("FunctionAssociations" in b for b in config["CacheBehaviors"])
    from tests.infra.aws_calls import resolve

    # Same origin (elsewhere browsers post to the bucket's own endpoint): no CORS rule, and
    # the CSP's connect-src is the site's own origin alone.
    assert "CorsConfiguration" not in resources["UploadsBucket"]["Properties"]
    headers = resources["SecurityHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
    for tiles in ("", "https://tiles.city.example/{z}/{x}/{y}.png"):
        csp = resolve(
            headers["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"],
            china,
            {"MapTiles": tiles},
        )
        assert "connect-src 'self';" in csp and "s3." not in csp
    statements = resources["UploadsBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    [reads] = [s for s in statements if s["Effect"] == "Allow"]
    assert reads["Resource"] == {"Fn::Sub": "${UploadsBucket.Arn}/processed/*"}
    assert reads["Principal"] == {
        "CanonicalUser": {"Fn::GetAtt": ["OriginAccessIdentity", "S3CanonicalUserId"]}
    }


# -- cfn-lint, both partitions ---------------------------------------------------------------


def _lint(path: Path, *regions: str) -> list[Any]:
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    result = subprocess.run(
        [str(cfn_lint), "--format", "json", "--regions", *regions, "--", str(path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    findings: list[Any] = json.loads(result.stdout or "[]")
    assert findings or result.returncode == 0, result.stderr[-2000:]
    return findings


def test_both_partitions_templates_pass_cfn_lint_in_their_regions(
    package_dir: Path, china_package_dir: Path, tmp_path: Path
) -> None:
    """The global stage in the Makefile's default region and cfn-lint's (SES, which the
    global template uses, exists in neither ap-east-1 nor China); the China stage in both
    China regions, whose resource types cfn-lint knows region by region. (The global lint is
    the packaged template's only one: tests/infra/test_packaged_template.py checks the rest.)"""
    findings = _lint(package_dir / "sam.json", "ap-southeast-1", "us-east-1")
    assert findings == [], json.dumps(findings, indent=1, ensure_ascii=False)[:6000]
    findings = _lint(china_package_dir / "sam.json", CN_REGION, "cn-north-1")
    assert findings == [], json.dumps(findings, indent=1, ensure_ascii=False)[:6000]
    # The China template is what lint in China asks for: what only the global one has (an SES
    # configuration set, a CloudFront function) is refused there.
    global_only = {
        k: v
        for k, v in json.loads((package_dir / "sam.json").read_text(encoding="utf-8"))[
            "Resources"
        ].items()
        if v["Type"] in ("AWS::SES::ConfigurationSet", "AWS::CloudFront::Function")
    }
    assert len({v["Type"] for v in global_only.values()}) == 2
    sample = tmp_path / "global-only.json"
    sample.write_text(
        json.dumps({"AWSTemplateFormatVersion": "2010-09-09", "Resources": global_only}),
        encoding="utf-8",
    )
    refused = {f["Message"] for f in _lint(sample, CN_REGION)}
    assert any("AWS::SES::ConfigurationSet" in m for m in refused), refused
    assert any("AWS::CloudFront::Function" in m for m in refused), refused


def test_the_china_package_has_no_ses_events_function_and_keeps_the_rest(
    china_package_dir: Path, package_dir: Path
) -> None:
    sam = json.loads((china_package_dir / "sam.json").read_text(encoding="utf-8"))
    functions = {k for k, v in sam["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}
    assert functions == {template.function_logical_id(n) for n in template.function_names(True)}
    assert "SesEventsRole" not in sam["Resources"]
    assert sam["Resources"]["Outbox"]["Properties"]["Layers"] == [{"Ref": "ProvidersLayer"}]
    assert sam["Resources"]["ProvidersLayer"]["Type"] == "AWS::Serverless::LayerVersion"
    assert (china_package_dir / "providers-layer.zip").is_file()
    assert "SNS" not in json.dumps(
        [sam["Resources"][f]["Properties"].get("Events") for f in functions]
    )
    global_sam = json.loads((package_dir / "sam.json").read_text(encoding="utf-8"))
    assert "SesEvents" in global_sam["Resources"]
    # The global package has its HTTP API; finishing it again changes nothing. China keeps
    # the REST API Chalice generates.
    assert "HttpApi" in global_sam["Resources"] and "RestAPI" not in global_sam["Resources"]
    assert template.finish(copy.deepcopy(global_sam), "ap-southeast-1") == []
    assert sam["Resources"]["RestAPI"]["Type"] == "AWS::Serverless::Api"
    assert "HttpApi" not in sam["Resources"]


# -- deployed through moto's CloudFormation in cn-northwest-1 --------------------------------


@pytest.fixture()
def china_pseudo_parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.cloudformation import parsing

    original = parsing.ResourceMap.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if template.is_china(self._region_name):
            self._parsed_resources["AWS::Partition"] = "aws-cn"
            self._parsed_resources["AWS::URLSuffix"] = "amazonaws.com.cn"

    monkeypatch.setattr(parsing.ResourceMap, "__init__", init)


@pytest.fixture()
def session(china_pseudo_parameters: None) -> Iterator[Any]:
    with mock_aws():
        yield boto3.Session(region_name=CN_REGION)


def plain(sam: dict[str, Any], code: dict[str, str], layer: dict[str, str]) -> dict[str, Any]:
    """``sam`` without the transform: each function an ``AWS::Lambda::Function`` running
    ``code`` (with an EventBridge rule per schedule), the API an ``AWS::ApiGateway::RestApi``
    of its OpenAPI body, as SAM would expand them."""
    out = copy.deepcopy(sam)
    out.pop("Transform")
    resources = out["Resources"]
    for logical, resource in list(resources.items()):
        props = resource["Properties"]
        if resource["Type"] == "AWS::Serverless::Function":
            events = props.pop("Events", {})
            kept = ("FunctionName", "Handler", "Runtime", "Role", "Timeout", "MemorySize")
            function = {k: props[k] for k in kept if k in props}
            function["Environment"] = props["Environment"]
            if "Layers" in props:
                function["Layers"] = props["Layers"]
            function["Code"] = {"S3Bucket": code["Bucket"], "S3Key": code["Key"]}
            resource.update(Type="AWS::Lambda::Function", Properties=function)
            for event, spec in events.items():
                assert spec["Type"] == "Schedule", (logical, spec)
                resources[f"{event}Rule"] = {
                    "Type": "AWS::Events::Rule",
                    "Properties": {
                        "ScheduleExpression": spec["Properties"]["Schedule"],
                        "Targets": [{"Id": event, "Arn": {"Fn::GetAtt": [logical, "Arn"]}}],
                    },
                }
        elif resource["Type"] == "AWS::Serverless::LayerVersion":
            content = {"S3Bucket": layer["Bucket"], "S3Key": layer["Key"]}
            kept = ("LayerName", "Description", "CompatibleRuntimes", "CompatibleArchitectures")
            resource.update(
                Type="AWS::Lambda::LayerVersion",
                Properties={**{k: props[k] for k in kept}, "Content": content},
            )
        elif resource["Type"] == "AWS::Serverless::Api":
            resource.update(
                Type="AWS::ApiGateway::RestApi",
                Properties={
                    "Name": "wenzheng",
                    "Body": props["DefinitionBody"],
                    "EndpointConfiguration": {"Types": [props["EndpointConfiguration"]]},
                },
            )
    # moto's CloudFormation skips the types it cannot make (CloudFront's, alarms…) but refuses
    # an output reading an attribute of one.
    from moto.cloudformation.parsing import resource_class_from_type

    for name, output in list(out.get("Outputs", {}).items()):
        target = (
            output["Value"].get("Fn::GetAtt", [None])[0]
            if isinstance(output["Value"], dict)
            else None
        )
        if target and not resource_class_from_type(resources[target]["Type"]):
            del out["Outputs"][name]
    return out


def test_make_deploy_in_cn_northwest_1_creates_the_china_stack_on_moto(
    session: Any, china_package_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The packaged template, with a small stand-in for the Lambda zip, to its change set.
    sam = json.loads((china_package_dir / "sam.json").read_text(encoding="utf-8"))
    with zipfile.ZipFile(tmp_path / "deployment.zip", "w") as package:
        package.writestr("app.py", "app = None\n")
    with zipfile.ZipFile(tmp_path / "providers-layer.zip", "w") as layer:
        layer.writestr("python/providers.py", "")
    (tmp_path / "sam.json").write_text(json.dumps(sam), encoding="utf-8")
    said: list[str] = []
    dry = d.deploy(
        session, d.Options(STAGE, CN_REGION, tmp_path, GIVEN | MAILBOX, dry_run=True), said.append
    )
    bucket = dry["artifacts_bucket"]
    assert bucket == f"wenzheng-artifacts-123456789012-{CN_REGION}"
    assert d.template_url(bucket, "k", CN_REGION).endswith(".s3.cn-northwest-1.amazonaws.com.cn/k")
    changed = {c["ResourceChange"]["ResourceType"] for c in dry["changes"]}
    assert "AWS::Serverless::Function" in changed and not {t for t in changed if "SES" in t}
    sent = {p["ParameterKey"]: p.get("ParameterValue") for p in dry["parameters"]}
    assert sent["SmsProvider"] == "aliyun" and sent["IamCertificateId"] == GIVEN["IamCertificateId"]
    assert set(dry["artifacts"]) == {"./deployment.zip", "./providers-layer.zip"}
    code = {"Bucket": bucket, "Key": dry["artifacts"]["./deployment.zip"]}
    layer = {"Bucket": bucket, "Key": dry["artifacts"]["./providers-layer.zip"]}
    # CloudFormation would create the stack by a second CREATE change set; moto executes only
    # a stack's first one: the stack under review goes, the artifacts stay.
    session.client("cloudformation").delete_stack(StackName=f"wenzheng-{STAGE}")

    # The same template as SAM expands it, deployed to the end.
    (tmp_path / "sam.json").write_text(json.dumps(plain(sam, code, layer)), encoding="utf-8")
    result = d.deploy(session, d.Options(STAGE, CN_REGION, tmp_path, GIVEN | MAILBOX), said.append)
    assert result["executed"] is True and result["sms"] is None
    cfn = session.client("cloudformation")
    [stack] = cfn.describe_stacks(StackName=f"wenzheng-{STAGE}")["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert stack["StackId"].startswith(f"arn:aws-cn:cloudformation:{CN_REGION}:")
    deployed = cfn.get_template(StackName=f"wenzheng-{STAGE}")["TemplateBody"]
    deployed = json.loads(deployed) if isinstance(deployed, str) else deployed
    assert not {t for t in _types(deployed) if SES_TYPES.match(t)}
    assert session.get_available_regions("sesv2", partition_name="aws-cn") == []  # none there
    assert any("SNS SMS: none in this region" in line for line in said)
    assert "MonthlySpendLimit" not in session.client("sns").get_sms_attributes()["attributes"]
    topics = [t["TopicArn"] for t in session.client("sns").list_topics()["Topics"]]
    assert topics == [f"arn:aws-cn:sns:{CN_REGION}:123456789012:wenzheng-{STAGE}-alarms"]

    # The functions: arn:aws-cn:, no ses-events one, the providers named in the environment.
    lambdas = session.client("lambda").list_functions()["Functions"]
    names = {f["FunctionName"] for f in lambdas}
    assert names == {template.lambda_name(STAGE, n) for n in template.function_names(True)}
    for function in lambdas:
        assert function["FunctionArn"].startswith(f"arn:aws-cn:lambda:{CN_REGION}:")
        assert function["Role"].startswith("arn:aws-cn:iam::123456789012:role/")
        variables = function["Environment"]["Variables"]
        assert variables["WZ_SMS_PROVIDER"] == "aliyun"
        assert variables["WZ_MAIL_PROVIDER"] == "smtp"
        assert variables["WZ_SMS_SECRET"] == SMS_SECRET
        assert variables["WZ_SMTP_SECRET"] == SMTP_SECRET
        assert variables["WZ_SMTP_HOST"] == "smtp.example.gov.cn"
        assert json.loads(variables["WZ_SMS_TEMPLATES"])["citizen_otp"] == "SMS_100001"
        assert not {k for k in variables if k.startswith("WZ_SES_")}
        assert variables["WZ_PUBLIC_BASE_URL"] == "https://wenzheng.example.gov.cn"
        assert variables["WZ_IMAP_HOST"] == "imap.example.gov.cn"
        assert variables["WZ_IMAP_PASSWORD_SECRET"] == "wenzheng/prod/imap"

    # The roles' policies: every ARN in the China partition, no SES or SMS, the outbox's secrets.
    iam = session.client("iam")
    policies: dict[str, str] = {}
    for role in iam.list_roles()["Roles"]:
        for policy in iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]:
            document = iam.get_role_policy(RoleName=role["RoleName"], PolicyName=policy)
            text = document["PolicyDocument"]  # moto: the JSON text, or its object
            policies[policy] = text if isinstance(text, str) else json.dumps(text)
    assert policies, "the stack created no role policy"
    for name, document in policies.items():
        assert "arn:aws:" not in document, name
        assert not SES_ACTIONS.search(document), name
        assert re.findall(r"arn:[^:\"]*:", document) and set(
            re.findall(r"arn:[^:\"]*:", document)
        ) == {"arn:aws-cn:"}, name
    prefix = f"arn:aws-cn:secretsmanager:{CN_REGION}:123456789012:secret:"
    secrets = {
        name: sorted(re.findall(re.escape(prefix) + r"([^\"'\\]+)-\?{6}", document))
        for name, document in policies.items()
        if re.search(re.escape(prefix) + r"[^\"'\\-]", document)
    }
    assert secrets == {
        "OutboxPolicy": sorted([SMS_SECRET, SMTP_SECRET]),
        "SmsReceiptsPolicy": [SMS_SECRET],
        "PollMailboxPolicy": ["wenzheng/prod/imap"],
    }
    tables = session.client("dynamodb").list_tables()["TableNames"]
    arn = session.client("dynamodb").describe_table(TableName=tables[0])["Table"]["TableArn"]
    assert arn.startswith(f"arn:aws-cn:dynamodb:{CN_REGION}:")


def test_make_deploys_china_options_become_the_china_templates_parameters(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: list[d.Options] = []
    monkeypatch.setattr(d, "deploy", lambda session, options: seen.append(options) or {})
    argv = ["--stage", STAGE, "--region", CN_REGION, "--package-dir", str(tmp_path)]
    options = {
        "--domain": GIVEN["DomainName"],
        "--sender": GIVEN["SenderAddress"],
        "--iam-certificate-id": GIVEN["IamCertificateId"],
        "--sms-provider": "aliyun",
        "--sms-secret": SMS_SECRET,
        "--sms-templates": GIVEN["SmsTemplates"],
        "--sms-signature": GIVEN["SmsSignature"],
        "--smtp-host": GIVEN["SmtpHost"],
        "--smtp-user": GIVEN["SmtpUser"],
        "--smtp-secret": SMTP_SECRET,
        "--imap-host": MAILBOX["ImapHost"],
        "--imap-user": MAILBOX["ImapUser"],
        "--imap-secret": MAILBOX["ImapPasswordSecretName"],
        "--mailbox": MAILBOX["MailboxAddress"],
    }
    assert d.main([*argv, *(part for pair in options.items() for part in pair)]) == 0
    [sent] = seen
    assert sent.region == CN_REGION and sent.given == GIVEN | MAILBOX
    assert set(sent.given) <= set(template.build(STAGE, CN_REGION)["Parameters"])


def test_finishing_refuses_to_leave_a_reference_to_the_removed_function() -> None:
    function = {"Type": "AWS::Serverless::Function", "Properties": {}}
    packaged = {
        "Resources": {
            "SesEvents": function,
            "SesEventsRole": {"Type": "AWS::IAM::Role"},
            "Outbox": function,
        },
        "Outputs": {"SesEventsArn": {"Value": {"Fn::GetAtt": ["SesEvents", "Arn"]}}},
    }
    with pytest.raises(SystemExit, match="SesEvents"):
        template.finish(copy.deepcopy(packaged), CN_REGION)
    del packaged["Outputs"]
    assert template.finish(packaged, CN_REGION) == ["SesEvents", "SesEventsRole"]
    assert set(packaged["Resources"]) == {"Outbox"}
