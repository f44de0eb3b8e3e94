"""The production resources, as a CloudFormation template merged into Chalice's SAM output:

    python -m infra.template --stage prod --out build/prod/merge.json
    chalice package --stage prod --merge-template build/prod/merge.json build/prod/

(``make package`` runs both.) Chalice generates the functions, the REST API, the schedules
and the SNS subscription; this adds what they run on: the DynamoDB tables (generated from the
PynamoDB models, so a new model is a new table), the site's bucket and CloudFront, the export
bucket, SES's configuration set and its SNS topic, the KMS key of the staff TOTP secrets, the
alarms, and, per function, a role whose
policy is rendered from infra/permissions.py with this template's own ARNs.

A deep merge replaces lists, adds keys to maps: the roles' ``Policies`` list replaces
Chalice's (``.chalice/policy-<stage>.json`` only satisfies ``chalice package``), the functions'
``Environment.Variables`` gain the stage's settings.

A stage in a China region (``--region cn-…``, partition ``aws-cn``) gets the template of that
partition (docs/OPERATIONS.md, "China regions"): every ARN is built with ``${AWS::Partition}``
(``arn:aws-cn:``) and every endpoint with ``${AWS::URLSuffix}`` (``amazonaws.com.cn``); there
is no SES and no SNS SMS there, so no configuration set, identity, receipt rule, SES event
topic or ``ses_events`` function, no ``ses:``/SMS statement and no SMS spend alarm; instead
stack parameters name the domestic SMS provider and the SMTP server (the providers' settings,
WZ_SMS_* and WZ_SMTP_*), the IMAP mailbox (WZ_IMAP_*), and the Secrets Manager secrets the
sending functions may read. CloudFront there has neither functions nor origin access control:
the buckets are read through an origin access identity, browsers post uploads to the bucket's
path-style endpoint through the site's own origin (elsewhere straight to the bucket's own
endpoint, never through CloudFront), processed photos are served under their own keys
(``/processed/*``); the site needs an ICP-filed domain and an IAM server certificate.
Chalice generates the ``ses_events`` function whatever the region: ``--finish`` removes it
from the packaged template (``make package`` runs it).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from infra import permissions
from infra.security_headers import (
    TILE_ORIGIN_MARK,
    cloudfront_security_headers_config,
    content_security_policy,
)

ROOT = Path(__file__).resolve().parent.parent

# DynamoDB's default quota of global secondary indexes per table (adjustable). The cases
# table uses 18 of them; tests/infra/test_template.py keeps every table within the quota.
GSI_QUOTA = 20

API_STAGE = "api"  # .chalice/config.json api_gateway_stage: the API's paths start with /api/
# Outside China the API is an HTTP API, not the REST API Chalice generates (``finish``): the
# same Lambda proxy integration (payload format 1.0, the REST event Chalice reads, with
# ``requestContext.resourcePath``), one route per Chalice route, the ``$default`` stage behind
# CloudFront; a third of REST's price per request, the platform's features (no API keys,
# usage plans, request validation or API caching used: validation is the app's, caching
# CloudFront's). In the China regions the REST API stays (HTTP APIs there are not verified).
HTTP_API = "HttpApi"
HTTP_API_STAGE = "$default"
HTTP_METHODS = ("get", "post", "put", "patch", "delete")
API_PATHS = ("/api/*", "/open311/*")
# The one API path that reads a cookie: single sign-on's callback, bound to the browser that
# started the sign-in (functions/services/staff_oidc.py BROWSER_COOKIE). Listed before
# ``/api/*``; its origin request policy forwards that cookie and no other.
SIGN_IN_CALLBACK_PATH = "/api/staff/oidc/callback"
# Viewer headers the API reads. Authorization and X-Link-Token are credentials: they go in the
# (near-zero TTL) cache key, which also forwards them; the rest travel by the origin request
# policy. Never Host (API Gateway routes by its own host name).
API_CACHE_KEY_HEADERS = ("Authorization", "X-Link-Token")
# The longest ``Cache-Control: max-age`` an API route declares (``route(cache_seconds=…)``).
API_MAX_CACHE_SECONDS = 300
API_FORWARDED_HEADERS = (
    "Accept",
    "Accept-Language",
    "Content-Type",
    "Idempotency-Key",
    "CloudFront-Viewer-Address",
)
# CloudFront's managed policies (stable, documented ids).
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
# The alarms watch what users feel: the API's 5xx, each function's errors, the outbox's dead
# letters, the sweep's lag, the SMS spend; plus one on Lambda's throttles for the whole
# account. CloudWatch bills an alarm per metric it evaluates (0.10 USD a month), and alarms on
# causes cost more than the platform's requests did: a throttle alarm per table (two metrics
# each, 58 for 29 tables) and per function (15) were 73 of 92 billed metrics (docs/PERFORMANCE.md
# "What a city pays"). DynamoDB throttling that the SDK's retries absorb harms no one; one that
# persists fails the request (503, ``Api5xxAlarm``) or the job (its ``Errors`` alarm), and the
# per-table ``ReadThrottleEvents``/``WriteThrottleEvents`` graphs say which table
# (docs/OPERATIONS.md). Lambda's account-wide ``Throttles`` (no dimension) fires for any
# function of the account and region: the concurrency every function shares ran out.
LOG_RETENTION_DAYS = 365
# Processed display photos move to S3 Standard-IA after this many days (uploads bucket).
PHOTO_IA_AFTER_DAYS = 30
PHOTO_IA_MIN_BYTES = "131072"  # Standard-IA bills 128 KB at least: smaller objects stay
# The encryption context every sealed TOTP secret carries (functions/storage/factor_key.py).
TOTP_KEY_PURPOSE = "staff-totp"

# -- partitions -------------------------------------------------------------------------------
# Functions that exist only where SES does (Chalice generates them regardless: ``finish``).
SES_FUNCTIONS = ("ses_events",)
# The provider secrets a function may read on a China stage (permissions.Access.secrets): the
# parameter naming each one, and the setting that carries that name to the functions.
PROVIDER_SECRETS = {
    "sms": ("SmsSecretName", "WZ_SMS_SECRET"),
    "smtp": ("SmtpSecretName", "WZ_SMTP_SECRET"),
    "imap": ("ImapPasswordSecretName", "WZ_IMAP_PASSWORD_SECRET"),
}
# The IMAP poller of the 市长信箱 (functions/jobs, JOBS): whichever of these names it has reads
# the IMAP password even if its permissions.py entry does not say so.
IMAP_POLLERS = ("poll-mailbox", "poll_mailbox", "imap_poll")


# The domestic SMS SDKs (``make package``'s providers-layer.zip, infra/package.py ``layer``): a
# layer of the functions that read the SMS provider's secret, on China stages.
PROVIDERS_LAYER = "ProvidersLayer"
PROVIDERS_LAYER_ZIP = "./providers-layer.zip"


def providers_layer(stage: str) -> dict[str, Any]:
    runtime = f"python{sys.version_info.major}.{sys.version_info.minor}"  # as Chalice's
    return {
        "Type": "AWS::Serverless::LayerVersion",
        "Properties": {
            "LayerName": f"wenzheng-{stage}-providers",
            "Description": "Alibaba Cloud and Tencent Cloud SMS SDKs (requirements-providers.txt)",
            "ContentUri": PROVIDERS_LAYER_ZIP,
            "CompatibleRuntimes": [runtime],
            "CompatibleArchitectures": ["x86_64"],
        },
    }


def is_china(region: str | None) -> bool:
    """A China region (cn-north-1, cn-northwest-1): partition ``aws-cn``."""
    return bool(region) and str(region).startswith("cn-")


def partition(region: str | None) -> str:
    return "aws-cn" if is_china(region) else "aws"


def pascal(name: str) -> str:
    """Chalice's CloudFormation names: ``sla-sweep`` → ``SlaSweep``."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_]", name) if part)


def sub(text: str, **variables: Any) -> dict[str, Any]:
    return {"Fn::Sub": [text, variables] if variables else text}


def _table_base_name(model: Any) -> str:
    from functions.settings import settings

    name: str = model.Meta.table_name
    return name.removeprefix(settings().table_prefix)


def table_logical_id(base: str) -> str:
    return f"{pascal(base)}Table"


# -- DynamoDB -------------------------------------------------------------------------------


def _key_schema(entries: list[dict[str, str]]) -> list[dict[str, str]]:
    ordered = sorted(entries, key=lambda e: 0 if e["KeyType"] == "HASH" else 1)
    return [{"AttributeName": e["AttributeName"], "KeyType": e["KeyType"]} for e in ordered]


def table_resource(model: Any, stage: str) -> dict[str, Any]:
    from pynamodb.attributes import TTLAttribute

    schema = model._get_schema()
    definitions = {d["AttributeName"]: d["AttributeType"] for d in schema["attribute_definitions"]}
    indexes = []
    for index in schema["global_secondary_indexes"]:
        for d in index.get("attribute_definitions", []):
            definitions[d["AttributeName"]] = d["AttributeType"]
        projection = {"ProjectionType": index["projection"]["ProjectionType"]}
        if index["projection"].get("NonKeyAttributes"):
            projection["NonKeyAttributes"] = list(index["projection"]["NonKeyAttributes"])
        indexes.append(
            {
                "IndexName": index["index_name"],
                "KeySchema": _key_schema(index["key_schema"]),
                "Projection": projection,
            }
        )
    base = _table_base_name(model)
    properties: dict[str, Any] = {
        "TableName": f"wenzheng-{stage}-{base}",
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": kind}
            for name, kind in sorted(definitions.items())
        ],
        "KeySchema": _key_schema(schema["key_schema"]),
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
        "DeletionProtectionEnabled": stage == "prod",
        "Tags": [{"Key": "app", "Value": "wenzheng"}, {"Key": "stage", "Value": stage}],
    }
    if indexes:
        properties["GlobalSecondaryIndexes"] = indexes
    ttl = [
        attribute.attr_name
        for attribute in model.get_attributes().values()
        if isinstance(attribute, TTLAttribute)
    ]
    if ttl:
        properties["TimeToLiveSpecification"] = {"AttributeName": ttl[0], "Enabled": True}
    return {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": properties,
    }


def tables(stage: str) -> dict[str, dict[str, Any]]:
    from functions.storage.models import ALL_MODELS

    return {
        table_logical_id(_table_base_name(model)): table_resource(model, stage)
        for model in ALL_MODELS
    }


# -- functions: names, environment, roles ----------------------------------------------------


def function_names(china: bool = False) -> list[str]:
    """Chalice's function names: ``api_handler``, each scheduled / SNS function and each plain
    Lambda function (``process_upload``, invoked by the uploads bucket); in China, without
    those that only SES feeds."""
    from app import app

    names = ["api_handler"] if app.routes else []
    names += [source.name for source in app.event_sources]
    names += [function.name for function in app.pure_lambda_functions]
    if china:
        names = [name for name in names if name not in SES_FUNCTIONS]
    return names


def function_logical_id(name: str) -> str:
    return "APIHandler" if name == "api_handler" else pascal(name)


def role_logical_id(name: str) -> str:
    return f"{pascal(name)}Role"


def lambda_name(stage: str, name: str) -> str:
    return f"wenzheng-{stage}-{name.replace('_', '-')}"


def configuration_set_name(stage: str) -> str:
    return f"wenzheng-{stage}"


def _sender_domain() -> dict[str, Any]:
    return {"Fn::Select": [1, {"Fn::Split": ["@", {"Ref": "SenderAddress"}]}]}


def secrets_read(name: str) -> tuple[str, ...]:
    """The provider secrets (PROVIDER_SECRETS' keys) function ``name`` reads on a China stage."""
    declared = permissions.FUNCTIONS[name].secrets
    unknown = set(declared) - set(PROVIDER_SECRETS)
    if unknown:
        raise SystemExit(f"infra/permissions.py: {name!r} reads no secret named {sorted(unknown)}")
    extra = ("imap",) if name in IMAP_POLLERS and "imap" not in declared else ()
    return (*declared, *extra)


def _secret_arn(kind: str) -> dict[str, Any]:
    """A secret named by its parameter: Secrets Manager appends ``-`` and six characters."""
    parameter, _setting = PROVIDER_SECRETS[kind]
    return sub(
        "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:"
        f"${{{parameter}}}-??????"
    )


def _secrets_statements(name: str) -> list[Any]:
    kinds = secrets_read(name)
    statements: list[Any] = []
    always = [_secret_arn(kind) for kind in kinds if kind != "imap"]
    if always:
        statements.append(
            {
                "Sid": "ProviderSecrets",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                "Resource": always,
            }
        )
    if "imap" in kinds:
        # Only with an IMAP mailbox (ImapHost): without one there is no secret to name.
        statement = {
            "Sid": "ImapPassword",
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue"],
            "Resource": [_secret_arn("imap")],
        }
        statements.append({"Fn::If": ["HasImap", statement, {"Ref": "AWS::NoValue"}]})
    return statements


def policy_statements(name: str, stage: str, china: bool = False) -> list[Any]:
    access = permissions.FUNCTIONS[name]
    statements: list[Any] = [
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": sub(
                "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
                f"/aws/lambda/{lambda_name(stage, name)}:*"
            ),
        }
    ]
    for table, grant in sorted(access.tables.items()):
        logical = table_logical_id(table)
        resources: list[Any] = [{"Fn::GetAtt": [logical, "Arn"]}]
        resources += [sub(f"${{{logical}.Arn}}/index/{index}") for index in grant.indexes]
        statements.append(
            {
                "Sid": pascal(table).replace("-", ""),
                "Effect": "Allow",
                "Action": [f"dynamodb:{action}" for action in grant.actions],
                "Resource": resources,
            }
        )
    if access.exports:
        statements.append(
            {
                "Sid": "AuditExports",
                "Effect": "Allow",
                "Action": list(access.exports),
                "Resource": sub("${ExportBucket.Arn}/exports/*"),
            }
        )
    for prefix, actions in access.media:
        statements.append(
            {
                "Sid": "Media" + pascal(prefix.strip("/").replace("/", "-")),
                "Effect": "Allow",
                "Action": list(actions),
                # By name: the bucket's notification names this function, so a reference to
                # the bucket from the function's role would make a cycle.
                "Resource": sub(
                    f"arn:${{AWS::Partition}}:s3:::{uploads_bucket_name(stage)}/{prefix}*"
                ),
            }
        )
    if access.totp_key:
        statements.append(
            {
                "Sid": "TotpKey",
                "Effect": "Allow",
                "Action": list(access.totp_key),
                "Resource": {"Fn::GetAtt": ["TotpKey", "Arn"]},
                # Only under the context factor_key.py binds each secret to its account with.
                "Condition": {"StringEquals": {"kms:EncryptionContext:purpose": TOTP_KEY_PURPOSE}},
            }
        )
    if access.oidc_client_secret:
        statements.append(
            {
                "Sid": "OidcClientSecret",
                "Effect": "Allow",
                "Action": ["secretsmanager:GetSecretValue"],
                # A secret's ARN ends in "-" and six random characters. With no single sign-on
                # (the parameter empty) this names no secret.
                "Resource": sub(
                    "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:"
                    "secret:${OidcClientSecretName}-??????"
                ),
            }
        )
    if china:
        # No SES and no SNS SMS in China: the providers' credentials instead.
        return statements + _secrets_statements(name)
    if access.send_email:
        base = "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}"
        statements.append(
            {
                "Sid": "SendEmail",
                "Effect": "Allow",
                "Action": ["ses:SendEmail"],
                "Resource": [
                    sub(f"{base}:identity/${{Domain}}", Domain=_sender_domain()),
                    sub(f"{base}:configuration-set/{configuration_set_name(stage)}"),
                ],
            }
        )
    if access.send_sms:
        statements.append(
            {
                # An SMS goes to a phone number, which has no ARN: AWS requires "*" here. The
                # account's SMS spend limit and the SmsSpend alarm bound what this can cost.
                "Sid": "SendSms",
                "Effect": "Allow",
                "Action": ["sns:Publish"],
                "Resource": "*",
            }
        )
    return statements


def role_resource(name: str, stage: str, china: bool = False) -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            "Policies": [
                {
                    "PolicyName": f"{pascal(name)}Policy",
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": policy_statements(name, stage, china),
                    },
                }
            ],
        },
    }


# China: the providers' settings (functions/settings.py, STATE_19) from the stack's parameters.
CHINA_ENVIRONMENT = {
    "WZ_SMS_PROVIDER": "SmsProvider",
    "WZ_SMS_SECRET": "SmsSecretName",
    "WZ_SMS_TEMPLATES": "SmsTemplates",
    "WZ_SMS_SIGNATURE": "SmsSignature",
    "WZ_MAIL_PROVIDER": "MailProvider",
    "WZ_SMTP_HOST": "SmtpHost",
    "WZ_SMTP_PORT": "SmtpPort",
    "WZ_SMTP_TLS": "SmtpTls",
    "WZ_SMTP_USER": "SmtpUser",
    "WZ_SMTP_SECRET": "SmtpSecretName",
    "WZ_IMAP_HOST": "ImapHost",
    "WZ_IMAP_PORT": "ImapPort",
    "WZ_IMAP_USER": "ImapUser",
    "WZ_IMAP_PASSWORD_SECRET": "ImapPasswordSecretName",
}


def environment(name: str, stage: str, china: bool = False) -> dict[str, Any]:
    """The settings functions/settings.py reads, for this stage (WZ_STAGE comes from
    .chalice/config.json)."""
    ses: dict[str, Any] = {
        "WZ_SES_CONFIGURATION_SET": configuration_set_name(stage),
        "WZ_SES_EVENTS_TOPIC": f"wenzheng-{stage}-ses-events",
    }
    variables: dict[str, Any] = {
        "WZ_PUBLIC_BASE_URL": sub("https://${DomainName}"),
        "WZ_MAIL_SENDER": {"Ref": "SenderAddress"},
        **({} if china else ses),
        "WZ_EXPORT_BUCKET": {"Ref": "ExportBucket"},
        "WZ_UPLOADS_BUCKET": uploads_bucket_name(stage),
        "WZ_TABLE_PREFIX": f"wenzheng-{stage}-",
        # 市长信箱: Reply-To of the mails about a case, so that a reply joins it.
        "WZ_MAILBOX_ADDRESS": {"Ref": "MailboxAddress"},
    }
    if china:
        variables.update({env: {"Ref": parameter} for env, parameter in CHINA_ENVIRONMENT.items()})
        # No CloudFront function maps /media/ onto processed/ there: the photos' own keys.
        variables["WZ_MEDIA_PATH"] = "/processed/"
    if name == "api_handler":
        # Where browsers post photos: the bucket's own endpoint (in China, the site's own
        # origin, which CloudFront passes to the bucket's path-style endpoint).
        variables["WZ_UPLOADS_POST_URL"] = uploads_post_url(stage, china)
        # The district map's tiles, if the city has a tile server (GET /api/geo/districts).
        variables["WZ_MAP_TILES"] = {"Ref": "MapTiles"}
        variables["WZ_MAP_TILES_ATTRIBUTION"] = {"Ref": "MapTilesAttribution"}
        variables["WZ_ORIGIN_SECRET"] = sub(
            "{{resolve:secretsmanager:${OriginSecret}:SecretString}}"
        )
    if permissions.FUNCTIONS[name].totp_key:
        variables["WZ_TOTP_KEY"] = {"Fn::GetAtt": ["TotpKey", "Arn"]}
    if permissions.FUNCTIONS[name].oidc_client_secret:
        variables["WZ_OIDC_ISSUER"] = {"Ref": "OidcIssuer"}
        variables["WZ_OIDC_CLIENT_ID"] = {"Ref": "OidcClientId"}
        variables["WZ_OIDC_CLIENT_SECRET"] = {"Ref": "OidcClientSecretName"}
        variables["WZ_OIDC_TRUST_MFA"] = {"Ref": "OidcTrustMfa"}
    return variables


def functions(stage: str, china: bool = False) -> dict[str, dict[str, Any]]:
    resources: dict[str, dict[str, Any]] = {}
    for name in function_names(china):
        if name not in permissions.FUNCTIONS:
            raise SystemExit(f"infra/permissions.py does not say what {name!r} may do")
        log_group = f"{function_logical_id(name)}LogGroup"
        resources[log_group] = {
            "Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "LogGroupName": f"/aws/lambda/{lambda_name(stage, name)}",
                "RetentionInDays": LOG_RETENTION_DAYS,
            },
        }
        resources[role_logical_id(name)] = role_resource(name, stage, china)
        # Chalice subscribes the SNS function by the topic's ARN, a string: say it needs the
        # topic, or CloudFormation may subscribe before the topic exists.
        depends = [log_group] + (["SesEventsTopic"] if name == "ses_events" else [])
        resources[function_logical_id(name)] = {
            "DependsOn": depends,
            "Properties": {
                "FunctionName": lambda_name(stage, name),
                "Environment": {"Variables": environment(name, stage, china)},
            },
        }
        if china and "sms" in secrets_read(name):
            resources[function_logical_id(name)]["Properties"]["Layers"] = [
                {"Ref": PROVIDERS_LAYER}
            ]
    if china:
        resources[PROVIDERS_LAYER] = providers_layer(stage)
        # API Gateway has no edge-optimized endpoints in China: a regional one, behind
        # CloudFront like everywhere.
        resources["RestAPI"] = {"Properties": {"EndpointConfiguration": "REGIONAL"}}
    return resources


# -- the staff second factor's key -----------------------------------------------------------


def totp_key(stage: str) -> dict[str, dict[str, Any]]:
    """The symmetric KMS key that seals each staff TOTP secret (functions/storage/
    factor_key.py), this deployment's own (KMS exists in the China regions too). Its policy
    is the account's (IAM decides), and only the API function's role is granted Encrypt and
    Decrypt (infra/permissions.py ``totp_key``). Retained on stack deletion: without it, no
    enrolled secret opens again (every staff member would enrol afresh)."""
    return {
        "TotpKey": {
            "Type": "AWS::KMS::Key",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "Description": f"wenzheng-{stage}: seals the staff TOTP secrets",
                "EnableKeyRotation": True,
                "KeyPolicy": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "AccountIam",
                            "Effect": "Allow",
                            "Principal": {
                                "AWS": sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")
                            },
                            "Action": "kms:*",
                            "Resource": "*",
                        }
                    ],
                },
            },
        },
        "TotpKeyAlias": {
            "Type": "AWS::KMS::Alias",
            "Properties": {
                "AliasName": f"alias/wenzheng-{stage}-totp",
                "TargetKeyId": {"Ref": "TotpKey"},
            },
        },
    }


# -- site: buckets, CloudFront ---------------------------------------------------------------


def _private_bucket(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "Type": "AWS::S3::Bucket",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                ]
            },
            **properties,
        },
    }


def _tls_only(bucket: str) -> dict[str, Any]:
    return {
        "Sid": "TlsOnly",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [sub(f"${{{bucket}.Arn}}"), sub(f"${{{bucket}.Arn}}/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def _bucket_policy(bucket: str, statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": {"Ref": bucket},
            "PolicyDocument": {"Version": "2012-10-17", "Statement": statements},
        },
    }


def origin_secret() -> dict[str, Any]:
    return {
        "Type": "AWS::SecretsManager::Secret",
        "Properties": {
            "Description": "CloudFront → API: the X-Origin-Verify header (WZ_ORIGIN_SECRET)",
            "GenerateSecretString": {"PasswordLength": 48, "ExcludePunctuation": True},
        },
    }


def frontend_bucket(stage: str) -> dict[str, Any]:
    return _private_bucket({"BucketName": sub(f"wenzheng-{stage}-site-${{AWS::AccountId}}")})


def _identity_reads(resource: dict[str, Any], sid: str) -> dict[str, Any]:
    """China: CloudFront reads through the origin access identity (no origin access control)."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {
            "CanonicalUser": {"Fn::GetAtt": ["OriginAccessIdentity", "S3CanonicalUserId"]}
        },
        "Action": "s3:GetObject",
        "Resource": resource,
    }


def origin_access_identity(stage: str) -> dict[str, Any]:
    return {
        "Type": "AWS::CloudFront::CloudFrontOriginAccessIdentity",
        "Properties": {
            "CloudFrontOriginAccessIdentityConfig": {"Comment": f"wenzheng {stage}: the buckets"}
        },
    }


def frontend_bucket_policy(china: bool = False) -> dict[str, Any]:
    """Only this stack's distribution reads the site's files, and only over TLS."""
    if china:
        reads = _identity_reads(sub("${FrontendBucket.Arn}/*"), "CloudFrontReads")
        return _bucket_policy("FrontendBucket", [reads, _tls_only("FrontendBucket")])
    cloudfront_reads = {
        "Sid": "CloudFrontReads",
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": sub("${FrontendBucket.Arn}/*"),
        "Condition": {
            "StringEquals": {
                "AWS:SourceArn": sub(
                    "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:"
                    "distribution/${Distribution}"
                )
            }
        },
    }
    return _bucket_policy("FrontendBucket", [cloudfront_reads, _tls_only("FrontendBucket")])


def frontend_origin_access_control(stage: str) -> dict[str, Any]:
    return {
        "Type": "AWS::CloudFront::OriginAccessControl",
        "Properties": {
            "OriginAccessControlConfig": {
                "Name": sub(f"wenzheng-{stage}-site-${{AWS::Region}}"),
                "OriginAccessControlOriginType": "s3",
                "SigningBehavior": "always",
                "SigningProtocol": "sigv4",
            }
        },
    }


def api_cache_policy(stage: str) -> dict[str, Any]:
    return {
        "Type": "AWS::CloudFront::CachePolicy",
        "Properties": {
            "CachePolicyConfig": {
                # An answer is cached only as long as the API says (``Cache-Control: public,
                # max-age=60`` on the public reads: the board, a case page, the rankings, up to
                # 300 s on the API document and Open311's discovery), never longer than the
                # longest of those; anything without it (every staff answer, every error) is
                # not cached at all (TTL 0). The credentials are in the key regardless, so no
                # answer could ever reach another user; a cache policy is also the only way to
                # forward Authorization. One board page cached for its 60 s is one API request
                # a minute per edge instead of one per visitor ("What a city pays").
                "Name": sub(f"wenzheng-{stage}-api-${{AWS::Region}}"),
                "DefaultTTL": 0,
                "MinTTL": 0,
                "MaxTTL": API_MAX_CACHE_SECONDS,
                "ParametersInCacheKeyAndForwardedToOrigin": {
                    "EnableAcceptEncodingGzip": True,
                    "EnableAcceptEncodingBrotli": True,
                    "HeadersConfig": {
                        "HeaderBehavior": "whitelist",
                        "Headers": list(API_CACHE_KEY_HEADERS),
                    },
                    "QueryStringsConfig": {"QueryStringBehavior": "all"},
                    "CookiesConfig": {"CookieBehavior": "none"},
                },
            }
        },
    }


def api_origin_request_policy(stage: str, cookie: str | None = None) -> dict[str, Any]:
    """What travels to the API besides the cache key: the headers it reads, every query
    string, and no cookie, except ``cookie`` for the policy of the sign-in callback."""
    cookies = (
        {"CookieBehavior": "whitelist", "Cookies": [cookie]}
        if cookie
        else {"CookieBehavior": "none"}
    )
    name = f"wenzheng-{stage}-{'sign-in' if cookie else 'api'}-${{AWS::Region}}"
    return {
        "Type": "AWS::CloudFront::OriginRequestPolicy",
        "Properties": {
            "OriginRequestPolicyConfig": {
                "Name": sub(name),
                "HeadersConfig": {
                    "HeaderBehavior": "whitelist",
                    "Headers": list(API_FORWARDED_HEADERS),
                },
                "QueryStringsConfig": {"QueryStringBehavior": "all"},
                "CookiesConfig": cookies,
            }
        },
    }


# Where CloudFormation puts the uploads bucket's origin into the policy.
UPLOAD_ORIGIN_MARK = "{{upload-origin}}"


def _filled(text: str, values: dict[str, Any]) -> Any:
    """``text`` with each mark of ``values`` replaced by its expression (``Fn::Join``); the
    text itself when it holds none."""
    if not values:
        return text
    marks = "(" + "|".join(map(re.escape, values)) + ")"
    return {"Fn::Join": ["", [values.get(p, p) for p in re.split(marks, text) if p]]}


def content_security_policy_expression(china: bool = False) -> dict[str, Any]:
    """The CSP, with the origin of the city's tile server (the ``MapTiles`` parameter, e.g.
    ``https://tiles.example.gov.cn/{z}/{x}/{y}.png`` → ``https://tiles.example.gov.cn``) in
    ``img-src`` when one is given: the parameter's pattern makes its first and third
    ``/``-separated parts the scheme and the host; and, outside China, the uploads bucket's own
    endpoint in ``connect-src`` (browsers post photos there, ``uploads_post_url``; in China
    they post to the site's own origin)."""
    parts = {"Fn::Split": ["/", {"Ref": "MapTiles"}]}
    origin = {"Fn::Join": ["", [{"Fn::Select": [0, parts]}, "//", {"Fn::Select": [2, parts]}]]}
    upload = None if china else UPLOAD_ORIGIN_MARK
    values = {} if china else {UPLOAD_ORIGIN_MARK: sub(UPLOADS_ORIGIN)}
    return {
        "Fn::If": [
            "HasMapTiles",
            _filled(
                content_security_policy(TILE_ORIGIN_MARK, upload),
                {TILE_ORIGIN_MARK: origin, **values},
            ),
            _filled(content_security_policy(None, upload), values),
        ]
    }


def security_headers_policy(stage: str, china: bool = False) -> dict[str, Any]:
    return {
        "Type": "AWS::CloudFront::ResponseHeadersPolicy",
        "Properties": {
            "ResponseHeadersPolicyConfig": {
                "Name": sub(f"wenzheng-{stage}-security-${{AWS::Region}}"),
                "Comment": "infra/security_headers.py (the local stack sends the same)",
                "SecurityHeadersConfig": cloudfront_security_headers_config(
                    content_security_policy_expression(china)
                ),
            }
        },
    }


def _identity_config() -> dict[str, Any]:
    return {
        "OriginAccessIdentity": sub("origin-access-identity/cloudfront/${OriginAccessIdentity}")
    }


def _site_origin(china: bool = False) -> dict[str, Any]:
    """The site's bucket, read through the origin access control (China: identity)."""
    if china:
        return {
            "Id": "site",
            "DomainName": {"Fn::GetAtt": ["FrontendBucket", "RegionalDomainName"]},
            "S3OriginConfig": _identity_config(),
        }
    return {
        "Id": "site",
        "DomainName": {"Fn::GetAtt": ["FrontendBucket", "RegionalDomainName"]},
        "OriginAccessControlId": {"Fn::GetAtt": ["FrontendOriginAccessControl", "Id"]},
        "S3OriginConfig": {"OriginAccessIdentity": ""},
    }


def _api_origin(china: bool = False) -> dict[str, Any]:
    """API Gateway's stage, with the secret header that tells the API CloudFront sent it: the
    HTTP API's ``$default`` stage (no path), or in China the REST API's ``api`` stage."""
    api = "RestAPI" if china else HTTP_API
    stage = {"OriginPath": f"/{API_STAGE}"} if china else {}
    return {
        "Id": "api",
        "DomainName": sub(f"${{{api}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}"),
        **stage,
        "CustomOriginConfig": {
            "OriginProtocolPolicy": "https-only",
            "OriginSSLProtocols": ["TLSv1.2"],
        },
        "OriginCustomHeaders": [
            {
                "HeaderName": "X-Origin-Verify",
                "HeaderValue": sub("{{resolve:secretsmanager:${OriginSecret}:SecretString}}"),
            }
        ],
    }


def _site_behaviour() -> dict[str, Any]:
    return {
        "TargetOriginId": "site",
        "ViewerProtocolPolicy": "redirect-to-https",
        "AllowedMethods": ["GET", "HEAD"],
        "CachePolicyId": CACHING_OPTIMIZED,
        "ResponseHeadersPolicyId": {"Ref": "SecurityHeadersPolicy"},
        "Compress": True,
    }


def _media_origin(china: bool = False) -> dict[str, Any]:
    """The uploads bucket, read through its own origin access control (``processed/`` only,
    by the bucket policy; China: through the identity)."""
    if china:
        return {
            "Id": "media",
            "DomainName": {"Fn::GetAtt": ["UploadsBucket", "RegionalDomainName"]},
            "S3OriginConfig": _identity_config(),
        }
    return {
        "Id": "media",
        "DomainName": {"Fn::GetAtt": ["UploadsBucket", "RegionalDomainName"]},
        "OriginAccessControlId": {"Fn::GetAtt": ["MediaOriginAccessControl", "Id"]},
        "S3OriginConfig": {"OriginAccessIdentity": ""},
    }


def _media_behaviour() -> dict[str, Any]:
    """Processed photos: immutable files, cached long, under the site's own headers."""
    return {
        "PathPattern": "/media/*",
        "TargetOriginId": "media",
        "ViewerProtocolPolicy": "redirect-to-https",
        "AllowedMethods": ["GET", "HEAD"],
        "CachePolicyId": CACHING_OPTIMIZED,
        "ResponseHeadersPolicyId": {"Ref": "SecurityHeadersPolicy"},
        "Compress": False,  # JPEG: nothing to gain
        "FunctionAssociations": [
            {
                "EventType": "viewer-request",
                "FunctionARN": {"Fn::GetAtt": ["MediaRewrite", "FunctionMetadata.FunctionARN"]},
            }
        ],
    }


def _china_media_behaviour() -> dict[str, Any]:
    """China has no CloudFront Functions to map ``/media/`` onto ``processed/``: the processed
    photos are served under their own keys, ``/processed/*`` (docs/OPERATIONS.md)."""
    return {
        "PathPattern": "/processed/*",
        "TargetOriginId": "media",
        "ViewerProtocolPolicy": "redirect-to-https",
        "AllowedMethods": ["GET", "HEAD"],
        "CachePolicyId": CACHING_OPTIMIZED,
        "ResponseHeadersPolicyId": {"Ref": "SecurityHeadersPolicy"},
        "Compress": False,
    }


def _china_uploads_origin() -> dict[str, Any]:
    """China: the uploads bucket's path-style endpoint (``s3.<region>.amazonaws.com.cn``), to
    which a POST of ``/<bucket>`` is the presigned POST to the bucket's root, no function
    needed to rewrite the path."""
    return {
        "Id": "uploads",
        "DomainName": sub("s3.${AWS::Region}.${AWS::URLSuffix}"),
        "CustomOriginConfig": {
            "OriginProtocolPolicy": "https-only",
            "OriginSSLProtocols": ["TLSv1.2"],
        },
    }


def _china_uploads_behaviour(stage: str) -> dict[str, Any]:
    """China: ``POST /<bucket>`` on the site's own origin (the CSP's ``connect-src 'self'``
    holds there), passed to the path-style endpoint: the presigned POST to the bucket's root.
    (Elsewhere browsers post to the bucket's own endpoint: nothing of an upload goes through
    CloudFront, where data sent towards an origin is billed.)"""
    return {
        "PathPattern": uploads_post_path(stage),
        "TargetOriginId": "uploads",
        "ViewerProtocolPolicy": "https-only",
        "AllowedMethods": ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
        "CachedMethods": ["GET", "HEAD"],
        "CachePolicyId": CACHING_DISABLED,
        "OriginRequestPolicyId": ALL_VIEWER_EXCEPT_HOST_HEADER,
        "ResponseHeadersPolicyId": {"Ref": "SecurityHeadersPolicy"},
        "Compress": False,
    }


def _browser_cookie() -> str:
    from functions.services.staff_oidc import BROWSER_COOKIE

    return BROWSER_COOKIE


def _api_behaviour(pattern: str, policy: str = "ApiOriginRequestPolicy") -> dict[str, Any]:
    return {
        "PathPattern": pattern,
        "TargetOriginId": "api",
        "ViewerProtocolPolicy": "https-only",
        "AllowedMethods": ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"],
        "CachedMethods": ["GET", "HEAD"],
        "CachePolicyId": {"Ref": "ApiCachePolicy"},
        "OriginRequestPolicyId": {"Ref": policy},
        "ResponseHeadersPolicyId": {"Ref": "SecurityHeadersPolicy"},
        "Compress": True,
    }


def _viewer_certificate(china: bool = False) -> dict[str, Any]:
    """The ACM certificate when one is given, else CloudFront's own (*.cloudfront.net). China:
    the IAM server certificate of the ICP-filed domain (no ACM for CloudFront there, and the
    default *.cloudfront.cn name serves nothing)."""
    if china:
        return {
            "IamCertificateId": {"Ref": "IamCertificateId"},
            "SslSupportMethod": "sni-only",
            "MinimumProtocolVersion": "TLSv1.2_2021",
        }
    return {
        "Fn::If": [
            "HasCertificate",
            {
                "AcmCertificateArn": {"Ref": "CertificateArn"},
                "SslSupportMethod": "sni-only",
                "MinimumProtocolVersion": "TLSv1.2_2021",
            },
            {"CloudFrontDefaultCertificate": True},
        ]
    }


def _china_distribution(stage: str) -> dict[str, Any]:
    config = {
        "Enabled": True,
        "Comment": f"wenzheng {stage}",
        "DefaultRootObject": "index.html",
        "HttpVersion": "http2",
        "Origins": [
            _site_origin(True),
            _api_origin(True),
            _media_origin(True),
            _china_uploads_origin(),
        ],
        "DefaultCacheBehavior": _site_behaviour(),
        "CacheBehaviors": [
            _api_behaviour(SIGN_IN_CALLBACK_PATH, "SignInOriginRequestPolicy"),
            *(_api_behaviour(pattern) for pattern in API_PATHS),
            _china_media_behaviour(),
            _china_uploads_behaviour(stage),
        ],
        "Aliases": [{"Ref": "DomainName"}],
        "ViewerCertificate": _viewer_certificate(True),
    }
    return {"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": config}}


def distribution(stage: str, china: bool = False) -> dict[str, Any]:
    """One origin for the site and the API: the bucket by default, the API under API_PATHS."""
    if china:
        return _china_distribution(stage)
    config = {
        "Enabled": True,
        "Comment": f"wenzheng {stage}",
        "DefaultRootObject": "index.html",
        "HttpVersion": "http2and3",
        "IPV6Enabled": True,
        "PriceClass": "PriceClass_All",
        "Origins": [_site_origin(), _api_origin(), _media_origin()],
        "DefaultCacheBehavior": _site_behaviour(),
        "CacheBehaviors": [
            _api_behaviour(SIGN_IN_CALLBACK_PATH, "SignInOriginRequestPolicy"),
            *(_api_behaviour(pattern) for pattern in API_PATHS),
            _media_behaviour(),
        ],
        "Aliases": {"Fn::If": ["HasCertificate", [{"Ref": "DomainName"}], {"Ref": "AWS::NoValue"}]},
        "ViewerCertificate": _viewer_certificate(),
    }
    return {"Type": "AWS::CloudFront::Distribution", "Properties": {"DistributionConfig": config}}


def site(stage: str, china: bool = False) -> dict[str, dict[str, Any]]:
    access: dict[str, dict[str, Any]] = (
        {"OriginAccessIdentity": origin_access_identity(stage)}
        if china
        else {"FrontendOriginAccessControl": frontend_origin_access_control(stage)}
    )
    return {
        "OriginSecret": origin_secret(),
        "FrontendBucket": frontend_bucket(stage),
        "FrontendBucketPolicy": frontend_bucket_policy(china),
        **access,
        "ApiCachePolicy": api_cache_policy(stage),
        "ApiOriginRequestPolicy": api_origin_request_policy(stage),
        "SignInOriginRequestPolicy": api_origin_request_policy(stage, _browser_cookie()),
        "SecurityHeadersPolicy": security_headers_policy(stage, china),
        "Distribution": distribution(stage, china),
    }


# -- audit exports: a versioned private bucket -----------------------------------------------


def exports(stage: str) -> dict[str, dict[str, Any]]:
    bucket = _private_bucket(
        {
            "BucketName": f"wenzheng-{stage}-audit-exports",
            "VersioningConfiguration": {"Status": "Enabled"},
            "LifecycleConfiguration": {
                "Rules": [
                    {
                        "Id": "OldVersions",
                        "Status": "Enabled",
                        "NoncurrentVersionExpiration": {"NoncurrentDays": 365},
                    }
                ]
            },
        }
    )
    return {
        "ExportBucket": bucket,
        "ExportBucketPolicy": _bucket_policy("ExportBucket", [_tls_only("ExportBucket")]),
    }


# -- photos: the private uploads bucket, its S3 event, CloudFront's /media/* ------------------

UPLOADS_FUNCTION = "process_upload"
INBOUND_FUNCTION = "receive_mail"  # 市长信箱: SES stores each message under inbound/ses/
# Only SES's messages invoke it: the IMAP poller (``poll-mailbox``) stores what it reads under
# inbound/imap/ and processes it itself, and no second run of the intake should race it.
SES_INBOUND_PREFIX = "inbound/ses/"
INBOUND_KEEP_DAYS = 30  # a received message (personal data) is kept this long for a person


# The uploads bucket's own endpoint (``https://<bucket>.s3.<region>.amazonaws.com``), as
# ``Fn::Sub`` text: where browsers post photos outside China, so the CSP's connect-src origin.
UPLOADS_ORIGIN = "https://${UploadsBucket.RegionalDomainName}"
# The browser's preflight of a POST (photos.js follows its progress) is answered from cache
# for this long; short, so that a changed site name takes effect soon.
UPLOADS_CORS_MAX_AGE_SECONDS = 600


def uploads_post_path(stage: str) -> str:
    """China: the path of the path-style POST to the uploads bucket, through CloudFront."""
    return f"/{uploads_bucket_name(stage)}"


def uploads_post_url(stage: str, china: bool = False) -> Any:
    """Where browsers post a photo (``WZ_UPLOADS_POST_URL``): the bucket's own regional
    endpoint, its root, where S3 takes a presigned POST (data sent into S3 is free; through
    CloudFront it would be billed towards the origin); in China the bucket's path on the
    site's own origin (``_china_uploads_behaviour``)."""
    return uploads_post_path(stage) if china else sub(f"{UPLOADS_ORIGIN}/")


def uploads_cors() -> dict[str, Any]:
    """The site's pages may POST to the bucket (the presigned POST; its signed policy is the
    authorisation): that origin alone, no other method, no header beyond the CORS-safelisted
    ones (a multipart form sends none), nothing exposed. ``DomainName`` is the site's name, with
    or without a certificate (without, the distribution's own ``*.cloudfront.net`` name, as the
    parameter says; the distribution itself cannot be named here: it reads this bucket, a
    cycle). The browser sends no credentials (``photos.js``: no ``withCredentials``)."""
    return {
        "CorsRules": [
            {
                "Id": "SitePostsUploads",
                "AllowedMethods": ["POST"],
                "AllowedOrigins": [sub("https://${DomainName}")],
                "MaxAge": UPLOADS_CORS_MAX_AGE_SECONDS,
            }
        ]
    }


def uploads_bucket_name(stage: str) -> str:
    """Fixed, as settings.py's default: the notification's permission names the bucket by its
    ARN before the bucket exists (a reference would make a cycle)."""
    return f"wenzheng-{stage}-uploads"


def uploads_bucket(stage: str, china: bool = False) -> dict[str, Any]:
    """Browsers post to ``uploads/`` (presigned POST to the bucket's endpoint, the site's
    origin allowed by CORS; in China through CloudFront, same origin); each new object there
    invokes the processing function, which writes ``processed/``. Uploads never attached
    expire after a day; processed versions stay with their case."""
    function = function_logical_id(UPLOADS_FUNCTION)
    bucket = _private_bucket(
        {
            "BucketName": uploads_bucket_name(stage),
            "LifecycleConfiguration": {
                "Rules": [
                    {
                        "Id": "OrphanedUploads",
                        "Status": "Enabled",
                        "Prefix": "uploads/",
                        "ExpirationInDays": 1,
                        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                    },
                    {
                        "Id": "ReceivedMail",
                        "Status": "Enabled",
                        "Prefix": "inbound/",
                        "ExpirationInDays": INBOUND_KEEP_DAYS,
                    },
                    {
                        # A case's photos are looked at while it is new; CloudFront caches
                        # them. Display photos (not thumbnails, under Standard-IA's 128 KB
                        # minimum) go to Standard-IA, about half the price a month.
                        "Id": "OlderPhotos",
                        "Status": "Enabled",
                        "Prefix": "processed/",
                        "ObjectSizeGreaterThan": PHOTO_IA_MIN_BYTES,
                        "Transitions": [
                            {"StorageClass": "STANDARD_IA", "TransitionInDays": PHOTO_IA_AFTER_DAYS}
                        ],
                    },
                ]
            },
            "NotificationConfiguration": {
                "LambdaConfigurations": [
                    {
                        "Event": "s3:ObjectCreated:*",
                        "Filter": {"S3Key": {"Rules": [{"Name": "prefix", "Value": "uploads/"}]}},
                        "Function": {"Fn::GetAtt": [function, "Arn"]},
                    },
                    {
                        "Event": "s3:ObjectCreated:*",
                        "Filter": {
                            "S3Key": {"Rules": [{"Name": "prefix", "Value": SES_INBOUND_PREFIX}]}
                        },
                        "Function": {"Fn::GetAtt": [function_logical_id(INBOUND_FUNCTION), "Arn"]},
                    },
                ]
            },
        }
    )
    if not china:
        bucket["Properties"]["CorsConfiguration"] = uploads_cors()
    bucket["DependsOn"] = ["UploadsInvokePermission", "InboundMailInvokePermission"]
    return bucket


def uploads_bucket_policy(china: bool = False) -> dict[str, Any]:
    """CloudFront reads ``processed/`` only: an upload is never served."""
    if china:  # through the identity; no SES to store mail (the IMAP poller writes inbound/)
        reads = _identity_reads(sub("${UploadsBucket.Arn}/processed/*"), "CloudFrontReadsProcessed")
        return _bucket_policy("UploadsBucket", [reads, _tls_only("UploadsBucket")])
    cloudfront_reads = {
        "Sid": "CloudFrontReadsProcessed",
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": sub("${UploadsBucket.Arn}/processed/*"),
        "Condition": {
            "StringEquals": {
                "AWS:SourceArn": sub(
                    "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/"
                    "${Distribution}"
                )
            }
        },
    }
    ses_stores_mail = {
        "Sid": "SesStoresInboundMail",
        "Effect": "Allow",
        "Principal": {"Service": "ses.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": sub(f"${{UploadsBucket.Arn}}/{SES_INBOUND_PREFIX}*"),
        "Condition": {"StringEquals": {"AWS:SourceAccount": {"Ref": "AWS::AccountId"}}},
    }
    return _bucket_policy(
        "UploadsBucket", [cloudfront_reads, ses_stores_mail, _tls_only("UploadsBucket")]
    )


def _viewer_function(name: str, comment: str, body: str) -> dict[str, Any]:
    code = (
        "function handler(event) {\n  var request = event.request;\n"
        + body
        + "  return request;\n}\n"
    )
    return {
        "Type": "AWS::CloudFront::Function",
        "Properties": {
            "Name": name,
            "AutoPublish": True,
            "FunctionCode": code,
            "FunctionConfig": {"Comment": comment, "Runtime": "cloudfront-js-2.0"},
        },
    }


def media_rewrite(stage: str) -> dict[str, Any]:
    """``/media/<id>/<file>`` → ``/processed/<id>/<file>`` (viewer request): the public URL
    names no storage layout, and nothing outside ``processed/`` can be asked for."""
    return _viewer_function(
        f"wenzheng-{stage}-media-rewrite",
        "/media/* → processed/*",
        "  request.uri = request.uri.replace(/^\\/media\\//, '/processed/');\n",
    )


def photos(stage: str, china: bool = False) -> dict[str, dict[str, Any]]:
    resources = _photos(stage, china)
    if china:
        # No SES receipt rule (the IMAP poller reads the mailbox), no CloudFront Functions,
        # no origin access control (the site's OriginAccessIdentity reads both buckets).
        for logical in (
            "MailboxRuleSet",
            "MailboxRule",
            "MediaOriginAccessControl",
            "MediaRewrite",
        ):
            del resources[logical]
        resources["UploadsBucketPolicy"] = uploads_bucket_policy(china=True)
    return resources


def _photos(stage: str, china: bool) -> dict[str, dict[str, Any]]:
    return {
        "UploadsBucket": uploads_bucket(stage, china),
        "UploadsBucketPolicy": uploads_bucket_policy(),
        "UploadsInvokePermission": {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": {"Ref": function_logical_id(UPLOADS_FUNCTION)},
                "Principal": "s3.amazonaws.com",
                "SourceAccount": {"Ref": "AWS::AccountId"},
                "SourceArn": sub(f"arn:${{AWS::Partition}}:s3:::{uploads_bucket_name(stage)}"),
            },
        },
        "InboundMailInvokePermission": {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": {"Ref": function_logical_id(INBOUND_FUNCTION)},
                "Principal": "s3.amazonaws.com",
                "SourceAccount": {"Ref": "AWS::AccountId"},
                "SourceArn": sub(f"arn:${{AWS::Partition}}:s3:::{uploads_bucket_name(stage)}"),
            },
        },
        # 市长信箱: mail to MailboxAddress is stored under inbound/ses/ (the rule set must be made
        # the active one once, and the domain's MX must point at SES: docs/OPERATIONS.md).
        "MailboxRuleSet": {
            "Type": "AWS::SES::ReceiptRuleSet",
            "Condition": "HasMailbox",
            "Properties": {"RuleSetName": f"wenzheng-{stage}-mailbox"},
        },
        "MailboxRule": {
            "Type": "AWS::SES::ReceiptRule",
            "Condition": "HasMailbox",
            "DependsOn": ["UploadsBucketPolicy"],
            "Properties": {
                "RuleSetName": {"Ref": "MailboxRuleSet"},
                "Rule": {
                    "Name": f"wenzheng-{stage}-mailbox-to-s3",
                    "Enabled": True,
                    "ScanEnabled": True,
                    "TlsPolicy": "Optional",
                    "Recipients": [{"Ref": "MailboxAddress"}],
                    "Actions": [
                        {
                            "S3Action": {
                                "BucketName": uploads_bucket_name(stage),
                                "ObjectKeyPrefix": SES_INBOUND_PREFIX,
                            }
                        }
                    ],
                },
            },
        },
        "MediaOriginAccessControl": {
            "Type": "AWS::CloudFront::OriginAccessControl",
            "Properties": {
                "OriginAccessControlConfig": {
                    "Name": sub(f"wenzheng-{stage}-media-${{AWS::Region}}"),
                    "OriginAccessControlOriginType": "s3",
                    "SigningBehavior": "always",
                    "SigningProtocol": "sigv4",
                }
            },
        },
        "MediaRewrite": media_rewrite(stage),
    }


# -- mail: SES configuration set → SNS → ses_events ------------------------------------------


def mail(stage: str, china: bool = False) -> dict[str, dict[str, Any]]:
    if china:
        return {}  # no SES: the providers (SMTP, domestic SMS) need no resource
    return {
        "SenderIdentity": {
            "Type": "AWS::SES::EmailIdentity",
            "Properties": {
                "EmailIdentity": _sender_domain(),
                "ConfigurationSetAttributes": {"ConfigurationSetName": {"Ref": "ConfigurationSet"}},
                "FeedbackAttributes": {"EmailForwardingEnabled": False},
            },
        },
        "ConfigurationSet": {
            "Type": "AWS::SES::ConfigurationSet",
            "Properties": {
                "Name": configuration_set_name(stage),
                "ReputationOptions": {"ReputationMetricsEnabled": True},
                "SendingOptions": {"SendingEnabled": True},
            },
        },
        "SesEventsTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {"TopicName": f"wenzheng-{stage}-ses-events"},
        },
        "SesEventsTopicPolicy": {
            "Type": "AWS::SNS::TopicPolicy",
            "Properties": {
                "Topics": [{"Ref": "SesEventsTopic"}],
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "SesPublishes",
                            "Effect": "Allow",
                            "Principal": {"Service": "ses.amazonaws.com"},
                            "Action": "sns:Publish",
                            "Resource": {"Ref": "SesEventsTopic"},
                            "Condition": {
                                "StringEquals": {"AWS:SourceAccount": {"Ref": "AWS::AccountId"}}
                            },
                        }
                    ],
                },
            },
        },
        "ConfigurationSetEvents": {
            "Type": "AWS::SES::ConfigurationSetEventDestination",
            "DependsOn": ["SesEventsTopicPolicy"],
            "Properties": {
                "ConfigurationSetName": {"Ref": "ConfigurationSet"},
                "EventDestination": {
                    "Name": "bounces-and-complaints",
                    "Enabled": True,
                    # functions/notify/ses_events.py acts on these two; nothing else is sent.
                    "MatchingEventTypes": ["bounce", "complaint"],
                    "SnsDestination": {"TopicARN": {"Ref": "SesEventsTopic"}},
                },
            },
        },
    }


# -- alarms ----------------------------------------------------------------------------------


def _alarm(description: str, **properties: Any) -> dict[str, Any]:
    base = {
        "AlarmDescription": description,
        "ActionsEnabled": True,
        "AlarmActions": [{"Ref": "AlarmTopic"}],
        "OKActions": [{"Ref": "AlarmTopic"}],
        "TreatMissingData": "notBreaching",
        "EvaluationPeriods": 1,
        "Period": 300,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    }
    base.update(properties)
    if "Metrics" in base:
        base.pop("Period")
    return {"Type": "AWS::CloudWatch::Alarm", "Properties": base}


def _api_5xx_metric(china: bool) -> dict[str, Any]:
    """The API's 5xx count: the REST API's ``5XXError`` by name and stage (China), the HTTP
    API's ``5xx`` by id and stage."""
    if china:
        return {
            "MetricName": "5XXError",
            "Dimensions": [
                {"Name": "ApiName", "Value": "wenzheng"},
                {"Name": "Stage", "Value": API_STAGE},
            ],
        }
    return {
        "MetricName": "5xx",
        "Dimensions": [
            {"Name": "ApiId", "Value": {"Ref": HTTP_API}},
            {"Name": "Stage", "Value": HTTP_API_STAGE},
        ],
    }


def alarms(stage: str, china: bool = False) -> dict[str, dict[str, Any]]:
    from functions import metrics

    resources: dict[str, dict[str, Any]] = {
        "AlarmTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {"TopicName": f"wenzheng-{stage}-alarms"},
        },
        "AlarmEmailSubscription": {
            "Type": "AWS::SNS::Subscription",
            "Condition": "HasAlarmEmail",
            "Properties": {
                "TopicArn": {"Ref": "AlarmTopic"},
                "Protocol": "email",
                "Endpoint": {"Ref": "AlarmEmail"},
            },
        },
        "SmsSpendAlarm": _alarm(
            "SMS spend this month reached SmsMonthlySpendLimit (USD)",
            Namespace="AWS/SNS",
            MetricName="SMSMonthToDateSpentUSD",
            Statistic="Maximum",
            Threshold={"Ref": "SmsMonthlySpendLimit"},
        ),
        "Api5xxAlarm": _alarm(
            "The API answered 5xx (5 or more in 5 minutes)",
            Namespace="AWS/ApiGateway",
            Statistic="Sum",
            Threshold=5,
            **_api_5xx_metric(china),
        ),
        "OutboxDeadLetterAlarm": _alarm(
            "Outbox messages were dead-lettered (coordinators: 发送失败 list)",
            Namespace=metrics.NAMESPACE,
            MetricName=metrics.OUTBOX_DEAD_LETTERED,
            Dimensions=[{"Name": "Stage", "Value": stage}],
            Statistic="Sum",
            Threshold=1,
        ),
        "SlaSweepLagAlarm": _alarm(
            "The oldest due SLA check waited 15 minutes or more (or the sweep stopped reporting)",
            Namespace=metrics.NAMESPACE,
            MetricName=metrics.SLA_SWEEP_LAG,
            Dimensions=[{"Name": "Stage", "Value": stage}],
            Statistic="Maximum",
            Threshold=900,
            EvaluationPeriods=2,
            TreatMissingData="breaching",
        ),
    }
    if china:
        del resources["SmsSpendAlarm"]  # no SNS SMS (the SMS provider's console caps spend)
    for name in function_names(china):
        logical = function_logical_id(name)
        resources[f"{logical}ErrorsAlarm"] = _alarm(
            f"Lambda {name}: errors",
            Namespace="AWS/Lambda",
            MetricName="Errors",
            Dimensions=[{"Name": "FunctionName", "Value": {"Ref": logical}}],
            Statistic="Sum",
            Threshold=1,
        )
    resources["LambdaThrottlesAlarm"] = _alarm(
        "Lambda throttled a function of this account and region (its concurrency ran out)",
        Namespace="AWS/Lambda",
        MetricName="Throttles",
        Statistic="Sum",
        Threshold=1,
    )
    return resources


# -- the whole merge template ----------------------------------------------------------------


PARAMETERS: dict[str, dict[str, Any]] = {
    "DomainName": {
        "Type": "String",
        "Description": "The site's host name (links in emails point here); with CertificateArn "
        "CloudFront serves it, without, use the distribution's own *.cloudfront.net name",
        "AllowedPattern": r"[a-z0-9.-]+",
    },
    "CertificateArn": {
        "Type": "String",
        "Default": "",
        "Description": "ACM certificate (us-east-1) for DomainName; empty: CloudFront's default",
    },
    "SenderAddress": {
        "Type": "String",
        "Description": "The From address of every email; its domain becomes the SES identity",
        "AllowedPattern": r"[^@\s]+@[^@\s]+\.[^@\s]+",
    },
    "MailboxAddress": {
        "Type": "String",
        "Default": "",
        "Description": "市长信箱: the address citizens write to (SES receives it into the uploads "
        "bucket's inbound/); empty: no mail intake through SES",
        "AllowedPattern": r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$",
    },
    "AlarmEmail": {
        "Type": "String",
        "Default": "",
        "Description": "Who gets the alarms (subscription to confirm); empty: none",
    },
    "MapTiles": {
        "Type": "String",
        "Default": "",
        "Description": "The city's own tile server under the district map: an https URL template "
        "with {z}, {x} and {y} (Web Mercator, WGS-84); its origin joins the CSP's img-src. "
        "Empty: the map draws the districts only",
        "AllowedPattern": r"^$|^https://[A-Za-z0-9.-]+(:[0-9]+)?/[^\s]*$",
    },
    "MapTilesAttribution": {
        "Type": "String",
        "Default": "",
        "Description": "Shown on the map under the tiles, e.g. the map's source and 审图号",
    },
    "OidcIssuer": {
        "Type": "String",
        "Default": "",
        "Description": "Staff single sign-on: the government identity provider's OpenID Connect "
        "issuer (https, as its discovery document names it); empty: the e-mailed link only",
        "AllowedPattern": r"^$|^https://[^\s]+$",
    },
    "OidcClientId": {
        "Type": "String",
        "Default": "",
        "Description": "Staff single sign-on: the client id the IdP registered for the platform",
    },
    "OidcClientSecretName": {
        "Type": "String",
        "Default": "",
        "Description": "Staff single sign-on: the name of the Secrets Manager secret holding the "
        "client secret (a plain string)",
        "AllowedPattern": r"^[A-Za-z0-9/_+=.@-]*$",
    },
    "OidcTrustMfa": {
        "Type": "String",
        "Default": "0",
        "AllowedValues": ["0", "1"],
        "Description": "1: a sign-in through the IdP whose ID token asserts MFA (amr mfa) skips "
        "the TOTP step",
    },
    "SmsMonthlySpendLimit": {
        "Type": "Number",
        "Default": 50,
        "MinValue": 1,
        "Description": "USD: the SMS spend alarm's threshold (keep it under the account's limit)",
    },
}


_SECRET_NAME = r"[A-Za-z0-9/_+=.@-]+"

# China regions (is_china): what replaces SES, SNS SMS and ACM. Secrets are named, not given:
# the operator creates them (docs/OPERATIONS.md, "China regions"); the functions read them.
CHINA_PARAMETERS: dict[str, dict[str, Any]] = {
    "DomainName": {
        "Type": "String",
        "Description": "The site's ICP-filed host name (备案): CloudFront in China serves only an "
        "alternate domain name with an ICP recordal, over the IamCertificateId certificate",
        "AllowedPattern": r"[a-z0-9.-]+",
    },
    "IamCertificateId": {
        "Type": "String",
        "Description": "The IAM server certificate (its ID, e.g. ASCA…) for DomainName, uploaded "
        "with `aws iam upload-server-certificate --path /cloudfront/` (no ACM for CloudFront "
        "in China)",
        "AllowedPattern": r"[A-Z0-9]+",
    },
    "SenderAddress": {
        "Type": "String",
        "Description": "The From address of every email, an account of the SMTP server",
        "AllowedPattern": r"[^@\s]+@[^@\s]+\.[^@\s]+",
    },
    "MailboxAddress": {
        "Type": "String",
        "Default": "",
        "Description": "市长信箱: the address citizens write to, the IMAP mailbox ImapUser reads "
        "(Reply-To of the mails about a case); empty: no Reply-To",
        "AllowedPattern": r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$",
    },
    "SmsProvider": {
        "Type": "String",
        "AllowedValues": ["aliyun", "tencent"],
        "Description": "The domestic SMS provider (WZ_SMS_PROVIDER): Alibaba or Tencent Cloud",
    },
    "SmsSecretName": {
        "Type": "String",
        "Description": "Secrets Manager secret (its name) with the SMS provider's credentials, a "
        "JSON object: aliyun access_key_id, access_key_secret; tencent secret_id, secret_key, "
        "sdk_app_id",
        "AllowedPattern": _SECRET_NAME,
    },
    "SmsTemplates": {
        "Type": "String",
        "Description": "JSON object: each SMS kind → the provider's approved template code/id "
        '(docs/OPERATIONS.md, "Domestic SMS templates")',
        "AllowedPattern": r"^\{.*\}$",
    },
    "SmsSignature": {
        "Type": "String",
        "Default": "",
        "Description": "The approved SMS signature (签名), e.g. 【临江问政】; empty: 【网络问政】",
    },
    "MailProvider": {
        "Type": "String",
        "Default": "smtp",
        "AllowedValues": ["smtp"],
        "Description": "E-mail goes through the SMTP server (no SES in China)",
    },
    "SmtpHost": {
        "Type": "String",
        "Description": "The SMTP server (e.g. the government mail system's submission host)",
        "AllowedPattern": r"[A-Za-z0-9.-]+",
    },
    "SmtpPort": {"Type": "Number", "Default": 465, "MinValue": 1, "MaxValue": 65535},
    "SmtpTls": {
        "Type": "String",
        "Default": "implicit",
        "AllowedValues": ["implicit", "starttls"],
        "Description": "implicit: TLS from the first byte (port 465); starttls: port 587",
    },
    "SmtpUser": {"Type": "String", "Description": "The SMTP account (AUTH user name)"},
    "SmtpSecretName": {
        "Type": "String",
        "Description": "Secrets Manager secret (its name) holding the SMTP account's password",
        "AllowedPattern": _SECRET_NAME,
    },
    "ImapHost": {
        "Type": "String",
        "Default": "",
        "Description": "市长信箱 by IMAP (the poller job): the mailbox's IMAPS host; empty: no "
        "mail intake",
        "AllowedPattern": r"^$|^[A-Za-z0-9.-]+$",
    },
    "ImapPort": {"Type": "Number", "Default": 993, "MinValue": 1, "MaxValue": 65535},
    "ImapUser": {"Type": "String", "Default": "", "Description": "The mailbox's IMAP account"},
    "ImapPasswordSecretName": {
        "Type": "String",
        "Default": "",
        "Description": "Secrets Manager secret (its name) holding the IMAP account's password",
        "AllowedPattern": r"^$|^" + _SECRET_NAME + "$",
    },
}


def parameters(china: bool = False) -> dict[str, dict[str, Any]]:
    if not china:
        return PARAMETERS
    merged = {
        name: spec
        for name, spec in PARAMETERS.items()
        if name not in ("CertificateArn", "SmsMonthlySpendLimit")
    }
    merged.update(CHINA_PARAMETERS)
    return merged


def conditions(china: bool = False) -> dict[str, Any]:
    def given(parameter: str) -> dict[str, Any]:
        return {"Fn::Not": [{"Fn::Equals": [{"Ref": parameter}, ""]}]}

    if china:
        found = {
            "HasAlarmEmail": given("AlarmEmail"),
            "HasMapTiles": given("MapTiles"),
        }
        if any("imap" in secrets_read(name) for name in function_names(china)):
            found["HasImap"] = given("ImapHost")  # the poller's grant (_secrets_statements)
        return found
    return {
        "HasCertificate": given("CertificateArn"),
        "HasAlarmEmail": given("AlarmEmail"),
        "HasMapTiles": given("MapTiles"),
        "HasMailbox": given("MailboxAddress"),
    }


def build(stage: str, region: str | None = None) -> dict[str, Any]:
    """The merge template of ``stage``; ``region`` decides the partition (is_china)."""
    china = is_china(region)
    resources: dict[str, Any] = {}
    parts = (
        tables(stage),
        functions(stage, china),
        totp_key(stage),
        site(stage, china),
        exports(stage),
        photos(stage, china),
        mail(stage, china),
        alarms(stage, china),
    )
    for part in parts:
        clash = resources.keys() & part.keys()
        if clash:
            raise SystemExit(f"two resources named {sorted(clash)}")
        resources.update(part)
    outputs: dict[str, Any] = {
        "SiteUrl": {"Value": sub("https://${DomainName}")},
        "DistributionDomainName": {"Value": {"Fn::GetAtt": ["Distribution", "DomainName"]}},
        "DistributionId": {"Value": {"Ref": "Distribution"}},
        "FrontendBucketName": {"Value": {"Ref": "FrontendBucket"}},
        "ExportBucketName": {"Value": {"Ref": "ExportBucket"}},
        "AlarmTopicArn": {"Value": {"Ref": "AlarmTopic"}},
    }
    if not china:
        outputs["SesEventsTopicArn"] = {"Value": {"Ref": "SesEventsTopic"}}
    return {
        "Parameters": parameters(china),
        "Conditions": conditions(china),
        "Resources": resources,
        "Outputs": outputs,
    }


def http_api(packaged: dict[str, Any]) -> list[str]:
    """Replace (in place) the REST API Chalice generated with an HTTP API: one route per
    method and path of Chalice's definition, each to the same ``APIHandler`` integration the
    REST API used (the URI as Chalice wrote it), payload format 1.0; the ``$default`` stage,
    deployed automatically; API Gateway's permission to invoke the handler; the outputs
    renamed. Returns the logical ids removed."""
    resources = packaged["Resources"]
    if "RestAPI" not in resources:
        return []  # finished already: finishing twice changes nothing
    rest = resources.pop("RestAPI")
    resources.pop("APIHandlerInvokePermission")
    paths: dict[str, dict[str, Any]] = rest["Properties"]["DefinitionBody"]["paths"]
    routes: dict[str, dict[str, Any]] = {}
    for path, operations in sorted(paths.items()):
        for method, operation in sorted(operations.items()):
            if method not in HTTP_METHODS:
                raise SystemExit(f"{method.upper()} {path}: not a method the HTTP API routes")
            chalice = operation["x-amazon-apigateway-integration"]
            routes.setdefault(path, {})[method] = {
                "responses": {"default": {"description": "the API's answer"}},
                "x-amazon-apigateway-integration": {
                    "type": "aws_proxy",
                    "httpMethod": "POST",
                    "uri": chalice["uri"],
                    "payloadFormatVersion": "1.0",
                },
            }
    resources[HTTP_API] = {
        "Type": "AWS::ApiGatewayV2::Api",
        "Properties": {
            "FailOnWarnings": True,
            "Body": {
                "openapi": "3.0.1",
                "info": {"title": "wenzheng", "version": "1"},
                "x-amazon-apigateway-importexport-version": "1.0",
                "paths": routes,
            },
        },
    }
    resources[f"{HTTP_API}Stage"] = {
        "Type": "AWS::ApiGatewayV2::Stage",
        "Properties": {
            "ApiId": {"Ref": HTTP_API},
            "StageName": HTTP_API_STAGE,
            "AutoDeploy": True,
        },
    }
    resources[f"{HTTP_API}InvokesApiHandler"] = {
        "Type": "AWS::Lambda::Permission",
        "Properties": {
            "FunctionName": {"Ref": function_logical_id("api_handler")},
            "Action": "lambda:InvokeFunction",
            "Principal": "apigateway.amazonaws.com",
            "SourceArn": sub(
                f"arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}"
                f":${{{HTTP_API}}}/*"
            ),
        },
    }
    outputs = packaged.setdefault("Outputs", {})
    outputs.pop("RestAPIId", None)
    outputs[f"{HTTP_API}Id"] = {"Value": {"Ref": HTTP_API}}
    outputs["EndpointURL"] = {
        "Value": sub(f"https://${{{HTTP_API}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/")
    }
    return ["RestAPI", "APIHandlerInvokePermission"]


def finish(packaged: dict[str, Any], region: str | None) -> list[str]:
    """After ``chalice package``: outside China, the HTTP API in place of the REST API
    (``http_api``); in China, remove from ``packaged`` (in place) what Chalice generated for
    functions the partition cannot run (SES_FUNCTIONS: the function and its role). Returns
    the logical ids removed; refuses to leave a reference to one."""
    if not is_china(region):
        removed = http_api(packaged)
        _refuse_dangling(packaged, removed)
        return removed
    resources = packaged["Resources"]
    removed = []
    for name in SES_FUNCTIONS:
        for logical in (function_logical_id(name), role_logical_id(name)):
            if resources.pop(logical, None) is not None:
                removed.append(logical)
    _refuse_dangling(packaged, removed)
    return removed


def _refuse_dangling(packaged: dict[str, Any], removed: list[str]) -> None:
    text = json.dumps(packaged)
    dangling = [
        logical
        for logical in removed
        if re.search(rf'"(Ref|DependsOn)": "{logical}"|\["{logical}"|\$\{{{logical}[.}}]', text)
    ]
    if dangling:
        raise SystemExit(f"removed {dangling} but the template still refers to them")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stage", help="the stage whose merge template --out gets")
    parser.add_argument("--region", default=None, help="cn-…: the China partition's template")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--out", type=Path, help="write the merge template here")
    what.add_argument(
        "--finish", type=Path, metavar="SAM_JSON", help="fix the packaged template (in place)"
    )
    args = parser.parse_args(argv)
    if args.finish:
        packaged = json.loads(args.finish.read_text(encoding="utf-8"))
        removed = finish(packaged, args.region)
        if removed:
            args.finish.write_text(json.dumps(packaged, indent=2) + "\n", "utf-8")
            print(f"{args.finish}: removed {', '.join(removed)}", file=sys.stderr)
        return 0
    if not args.stage:
        parser.error("--out needs --stage")
    template = build(args.stage, args.region)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(template, indent=1, ensure_ascii=False) + "\n", "utf-8")
    print(f"{args.out}: {len(template['Resources'])} resources", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
