"""The only reader of ``os.environ``: a typed configuration object built once, lazily."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

DEFAULT_TOTP_ROLES = ("coordinator", "county_coordinator", "admin", "auditor")
SMS_PROVIDERS = ("sns", "aliyun", "tencent")  # the first is the default
MAIL_PROVIDERS = ("ses", "smtp")
SMTP_TLS = ("implicit", "starttls")


@dataclass(frozen=True)
class Settings:
    stage: str
    region: str
    table_prefix: str
    public_base_url: str
    mail_sender: str
    sms_sender_id: str
    session_idle_minutes: int
    session_max_hours: int
    signin_link_minutes: int
    link_max_days: int
    max_body_bytes: int
    request_timeout_seconds: float
    # An HTTP request's storage attempts must be able to end within this many seconds of its
    # start (functions/storage/deadline.py); API Gateway gives up at 29 s.
    request_budget_seconds: float = 25.0
    # Last year whose official holiday schedule is loaded; the `calendar` setting may override.
    calendar_confirmed_through: int = 2026
    outbox_max_attempts: int = 6
    ses_configuration_set: str = ""
    ses_events_topic: str = "wenzheng-ses-events"
    # Open311 GeoReport v2: keys a client must send as ``api_key`` to POST a request; empty
    # means POST is open like the web form (the same validation and limits apply).
    open311_api_keys: tuple[str, ...] = ()
    # Open311 Service Discovery's ``contact`` (who answers for the endpoint: an address, a
    # phone); empty: the platform's name and address.
    open311_contact: str = ""
    # The archive (§2, §8): closed cases become read-only after this many days; contact data
    # on archived cases is removed this many years after archiving; exports go to this bucket.
    archive_after_days: int = 30
    retention_years: int = 3
    export_bucket: str = "wenzheng-local-audit-exports"
    # Photos (§13): the private bucket citizens' and departments' browsers post to by presigned
    # POST (``uploads/``), and the processed versions are written to (``processed/``, served
    # as ``/media/…`` through CloudFront, locally through the same origin).
    uploads_bucket: str = "wenzheng-local-uploads"
    # Where browsers post an upload. The stack sets it: outside China the bucket's own regional
    # endpoint (infra/template.py ``uploads_post_url``; its origin is in the CSP's connect-src
    # and the bucket's CORS rule lets the site post), in China the bucket's path on the site's
    # origin (CloudFront passes it on); the local stack its same-origin ``/uploads``
    # (infra/local_media.py). Empty: the URL botocore signs for.
    uploads_post_url: str = ""
    # 附议 ("me too"): each case's count is spread over this many items (partition write
    # throughput adds up per item). The case page reads shards 0..N-1 with the case item, so
    # raise N, never lower it (a lowered N would hide the counts of the shards above it).
    support_shards: int = 10
    # Rate limits (functions/domain/rate_limits.py): on unless WZ_RATE_LIMITS_ENABLED=0 (for
    # fuzzing runs only); WZ_RATE_LIMITS overrides defaults ("submit_ip=60/1h,track_case=5/30m").
    rate_limits_enabled: bool = True
    rate_limits: str = ""
    # Shared with CloudFront (custom origin header X-Origin-Verify): only a request carrying it
    # may name the client's address in CloudFront-Viewer-Address. Empty: use the source IP.
    origin_secret: str = ""
    # The SMS signature (短信签名) every text starts with: in China the one registered with the
    # SMS provider for the platform, e.g. 【临江问政】.
    sms_signature: str = "【网络问政】"
    # The city's own tile server under the district map (§13), off when empty: a URL template
    # with {z}, {x} and {y} for Web-Mercator tiles in WGS-84 (天地图 is; GCJ-02 tiles would
    # put every pin some hundreds of metres off). Its origin joins the CSP's img-src
    # (infra/security_headers.py); the attribution (e.g. the 审图号) is shown on the map.
    map_tiles: str = ""
    map_tiles_attribution: str = ""
    map_tiles_max_zoom: int = 18
    # Where the site serves processed photos (the uploads bucket's ``processed/``): ``/media/``
    # behind CloudFront's path-rewriting function; ``/processed/`` on China regions, whose
    # CloudFront has no functions and serves the keys as they are (infra/template.py).
    media_path: str = "/media/"
    # Local stage only (the stacks the tests start): real time stands still at this instant
    # (functions/clock.py), ``WZ_CLOCK_FROZEN_AT`` in ISO 8601. Ignored on any other stage.
    clock_frozen_at: datetime | None = None
    # 单位工作台 (§15): how long a unit's desk link (desk.html#t=…) stays valid; a fresh one
    # (asked for, or the weekly mail) replaces the one before it at once.
    desk_link_days: int = 30
    # Staff second factor (§17): the roles that sign in with a TOTP code after the e-mailed
    # link. ``WZ_STAFF_TOTP_ROLES``: a comma list of roles; unset, the default below; empty
    # (the local stage's .chalice/config.json, for ``make run``'s demo accounts) or ``none``
    # turns the second factor off.
    staff_totp_roles: frozenset[str] = frozenset(DEFAULT_TOTP_ROLES)
    # The KMS key that seals each enrolled TOTP secret (functions/storage/factor_key.py): its
    # ARN in a deployment (infra/template.py ``TotpKey``), an alias locally (the local stack
    # and the tests make it in moto: infra/bootstrap.py ``create_totp_key``).
    totp_key: str = "alias/wenzheng-local-totp"
    # Single sign-on through the city's government identity provider (OpenID Connect, §17),
    # off unless an issuer is set: its issuer URL (its discovery document's ``issuer``), the
    # client id the IdP registered for the platform, the Secrets Manager id of the client
    # secret, whether the IdP's own multi-factor sign-in (``amr`` ``mfa``) stands in for the
    # TOTP step, and the button's label on the sign-in page.
    oidc_issuer: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_trust_mfa: bool = False
    oidc_label: str = "政务服务统一身份认证"
    # 市长信箱 by e-mail (§17): the address citizens write to (SES receipt rule → the uploads
    # bucket's ``inbound/``), set as Reply-To of the platform's mails about a case so that a
    # reply joins it; empty: no Reply-To (the intake still reads what the rule stores). Where
    # SES is absent, an IMAP mailbox read over TLS by the ``poll-mailbox`` job
    # (functions/services/mail_poll.py, docs/OPERATIONS.md; off while ``imap_host`` is empty):
    # its password in Secrets Manager (``imap_password_secret``, a secret id), or, locally
    # only, ``WZ_IMAP_PASSWORD``; the folder it reads (``imap_folder``); and, locally only (the
    # tests' loopback server), a CA file to trust besides the system's (``WZ_IMAP_CA_FILE``):
    # the server's certificate is always verified.
    mailbox_address: str = ""
    imap_host: str = ""
    imap_port: int = 993
    imap_user: str = ""
    imap_password_secret: str = ""
    imap_password: str = ""
    imap_folder: str = "INBOX"
    imap_ca_file: str = ""
    # Message providers (§17), chosen per stage: SMS through SNS (``sns``) or a domestic
    # provider (``aliyun``: Alibaba Cloud SMS; ``tencent``: Tencent Cloud SMS), which sends an
    # approved template (``sms_templates``: SMS kind → template code / id) with its
    # parameters, never free text; e-mail through SES (``ses``) or an SMTP server over TLS
    # (``smtp``). Credentials live in Secrets Manager: ``sms_secret`` names a JSON secret
    # (aliyun: access_key_id, access_key_secret; tencent: secret_id, secret_key, sdk_app_id),
    # ``smtp_secret`` one holding the SMTP password. ``sms_endpoint`` overrides the SMS
    # provider's endpoint (tests point the SDK at a loopback fake).
    sms_provider: str = "sns"
    sms_secret: str = ""
    sms_templates: tuple[tuple[str, str], ...] = ()
    sms_endpoint: str = ""
    mail_provider: str = "ses"
    smtp_host: str = ""
    smtp_port: int = 465
    smtp_tls: str = "implicit"  # implicit (TLS from the first byte, port 465) | starttls
    smtp_user: str = ""
    smtp_secret: str = ""

    @property
    def is_local(self) -> bool:
        """Only an explicit ``WZ_STAGE=local`` is the local stage (dev routes, the dev
        outbox); a missing stage is never taken for it."""
        return self.stage == "local"

    def sms_template(self, kind: str) -> str | None:
        """The approved template code of an SMS kind (``WZ_SMS_TEMPLATES``), if any."""
        return dict(self.sms_templates).get(kind)


@lru_cache(maxsize=1)
def settings() -> Settings:
    env = os.environ
    # No default: a deployment that lost the variable must not become the local stage (its
    # dev routes would expose every magic link). app.py refuses to start without it.
    stage = env.get("WZ_STAGE", "").strip()
    return Settings(
        stage=stage,
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "ap-southeast-1",
        table_prefix=env.get("WZ_TABLE_PREFIX", f"wenzheng-{stage}-"),
        public_base_url=env.get("WZ_PUBLIC_BASE_URL", "http://127.0.0.1:8000").rstrip("/"),
        mail_sender=env.get("WZ_MAIL_SENDER", "noreply@wenzheng.example"),
        sms_sender_id=env.get("WZ_SMS_SENDER_ID", "WENZHENG"),
        session_idle_minutes=int(env.get("WZ_SESSION_IDLE_MINUTES", "60")),
        session_max_hours=int(env.get("WZ_SESSION_MAX_HOURS", "12")),
        signin_link_minutes=int(env.get("WZ_SIGNIN_LINK_MINUTES", "15")),
        link_max_days=int(env.get("WZ_LINK_MAX_DAYS", "60")),
        desk_link_days=int(env.get("WZ_DESK_LINK_DAYS", "30")),
        mailbox_address=env.get("WZ_MAILBOX_ADDRESS", "").strip(),
        imap_host=env.get("WZ_IMAP_HOST", "").strip(),
        imap_port=int(env.get("WZ_IMAP_PORT", "993")),
        imap_user=env.get("WZ_IMAP_USER", "").strip(),
        imap_password_secret=env.get("WZ_IMAP_PASSWORD_SECRET", "").strip(),
        imap_password=env.get("WZ_IMAP_PASSWORD", "") if stage == "local" else "",
        imap_folder=env.get("WZ_IMAP_FOLDER", "").strip() or "INBOX",
        imap_ca_file=env.get("WZ_IMAP_CA_FILE", "").strip() if stage == "local" else "",
        max_body_bytes=int(env.get("WZ_MAX_BODY_BYTES", str(64 * 1024))),
        request_timeout_seconds=float(env.get("WZ_REQUEST_TIMEOUT_SECONDS", "5")),
        request_budget_seconds=float(env.get("WZ_REQUEST_BUDGET_SECONDS", "25")),
        calendar_confirmed_through=int(env.get("WZ_CALENDAR_CONFIRMED_THROUGH", "2026")),
        outbox_max_attempts=int(env.get("WZ_OUTBOX_MAX_ATTEMPTS", "6")),
        ses_configuration_set=env.get("WZ_SES_CONFIGURATION_SET", ""),
        ses_events_topic=env.get("WZ_SES_EVENTS_TOPIC", f"wenzheng-{stage}-ses-events"),
        archive_after_days=int(env.get("WZ_ARCHIVE_AFTER_DAYS", "30")),
        retention_years=int(env.get("WZ_RETENTION_YEARS", "3")),
        export_bucket=env.get("WZ_EXPORT_BUCKET", f"wenzheng-{stage}-audit-exports"),
        uploads_bucket=env.get("WZ_UPLOADS_BUCKET", f"wenzheng-{stage}-uploads"),
        uploads_post_url=env.get("WZ_UPLOADS_POST_URL", "").strip(),
        support_shards=max(1, int(env.get("WZ_SUPPORT_SHARDS", "10"))),
        rate_limits_enabled=env.get("WZ_RATE_LIMITS_ENABLED", "1").strip().lower()
        not in ("0", "false", "no", "off"),
        rate_limits=env.get("WZ_RATE_LIMITS", ""),
        origin_secret=env.get("WZ_ORIGIN_SECRET", ""),
        sms_signature=env.get("WZ_SMS_SIGNATURE", "").strip() or "【网络问政】",
        open311_contact=env.get("WZ_OPEN311_CONTACT", "").strip(),
        open311_api_keys=tuple(
            key.strip() for key in env.get("WZ_OPEN311_API_KEYS", "").split(",") if key.strip()
        ),
        map_tiles=env.get("WZ_MAP_TILES", "").strip(),
        map_tiles_attribution=env.get("WZ_MAP_TILES_ATTRIBUTION", "").strip(),
        map_tiles_max_zoom=int(env.get("WZ_MAP_TILES_MAX_ZOOM", "18")),
        media_path=_media_path(env.get("WZ_MEDIA_PATH", "/media/")),
        staff_totp_roles=_roles(env.get("WZ_STAFF_TOTP_ROLES")),
        totp_key=env.get("WZ_TOTP_KEY", "").strip() or f"alias/wenzheng-{stage or 'local'}-totp",
        oidc_issuer=env.get("WZ_OIDC_ISSUER", "").strip(),
        oidc_client_id=env.get("WZ_OIDC_CLIENT_ID", "").strip(),
        oidc_client_secret=env.get("WZ_OIDC_CLIENT_SECRET", "").strip(),
        oidc_trust_mfa=env.get("WZ_OIDC_TRUST_MFA", "0").strip().lower() in ("1", "true", "yes"),
        oidc_label=env.get("WZ_OIDC_LABEL", "").strip() or "政务服务统一身份认证",
        clock_frozen_at=_instant(env.get("WZ_CLOCK_FROZEN_AT", "")) if stage == "local" else None,
        sms_provider=_choice(env.get("WZ_SMS_PROVIDER"), "WZ_SMS_PROVIDER", SMS_PROVIDERS),
        sms_secret=env.get("WZ_SMS_SECRET", "").strip(),
        sms_templates=_templates(env.get("WZ_SMS_TEMPLATES", "")),
        sms_endpoint=env.get("WZ_SMS_ENDPOINT", "").strip(),
        mail_provider=_choice(env.get("WZ_MAIL_PROVIDER"), "WZ_MAIL_PROVIDER", MAIL_PROVIDERS),
        smtp_host=env.get("WZ_SMTP_HOST", "").strip(),
        smtp_port=int(env.get("WZ_SMTP_PORT", "").strip() or "465"),
        smtp_tls=_choice(env.get("WZ_SMTP_TLS"), "WZ_SMTP_TLS", SMTP_TLS),
        smtp_user=env.get("WZ_SMTP_USER", "").strip(),
        smtp_secret=env.get("WZ_SMTP_SECRET", "").strip(),
    )


def _choice(text: str | None, name: str, allowed: tuple[str, ...]) -> str:
    """One of ``allowed`` (the first when unset or empty); anything else stops the function
    at its first use of the settings, naming the variable, rather than sending elsewhere."""
    value = (text or "").strip().lower() or allowed[0]
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def _templates(text: str) -> tuple[tuple[str, str], ...]:
    """``WZ_SMS_TEMPLATES``: a JSON object, SMS kind → the provider's approved template code
    (Alibaba ``SMS_…``) or id (Tencent, digits)."""
    if not text.strip():
        return ()
    found = json.loads(text)
    if not isinstance(found, dict) or not all(
        isinstance(v, str | int) and str(v).strip() for v in found.values()
    ):
        raise ValueError("WZ_SMS_TEMPLATES must be a JSON object of kind → template code")
    return tuple(sorted((str(k), str(v).strip()) for k, v in found.items()))


def _instant(text: str) -> datetime | None:
    """An ISO 8601 instant (``Z`` or an offset; none is UTC), or None for an empty text."""
    if not text.strip():
        return None
    at = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _media_path(value: str) -> str:
    """``/x/``: one absolute path prefix, ending in a slash."""
    path = "/" + value.strip().strip("/") + "/"
    if path == "//":
        raise ValueError("WZ_MEDIA_PATH must name a path, e.g. /media/")
    return path


def _roles(text: str | None) -> frozenset[str]:
    """The second factor's roles: unset → the default; empty or ``none`` → none."""
    if text is None:
        return frozenset(DEFAULT_TOTP_ROLES)
    found = {role.strip() for role in text.split(",") if role.strip()}
    return frozenset() if found <= {"none"} else frozenset(found - {"none"})
