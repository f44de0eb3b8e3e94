"""From a replayed sample (tests/bench/test_city_cost.py) to a month at the seeds' scale and to
money (tests/bench/prices.json). Pure: counts in, counts and prices out; what a page view loads
is read from the site build's manifest (infra/site_build.py)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from infra import site_build

GOAL_USD = 30.0  # a month for the whole platform at 2,000 cases a day, without SMS and mail
CASES_PER_DAY = 2000
DAYS = 30
CASES = CASES_PER_DAY * DAYS
VIEWS_PER_CASE = 50  # half board pages, half case pages
WORKING_DAYS = 22  # the digest goes out on working days
WEEKS = DAYS / 7
SIGNINS_PER_DAY = 20  # staff sign-ins by e-mailed link (coordinators, reviewers, admins)
MEMORY_GB = {"api": 0.125, "process_upload": 0.5}  # .chalice/config.json; jobs 128 MB
JOB_MEMORY_GB = 0.125
LAMBDA_LINES = 330  # bytes of START, END and REPORT lines Lambda logs per invocation
# What a photo's upload weighs (frontend/assets/js/photos.js): a photo the browser decodes goes
# up shrunk to the display size, a JPEG of 1600 px at quality 0.85, ~400 KB for a 12-megapixel
# photo (376 KB measured by tests/browser/test_photos.py on a synthetic one of 4.0 MB); one it
# cannot decode goes up as the phone took it, ~4 MB. Assumed 1 in 20 cannot: iPhones' HEIC is
# decoded by Safari and every iOS browser and in-app browser (WebKit, iOS 17 and later), Android
# phones take JPEGs; what is left is HEIC carried to a desktop Chromium or Firefox, old iOS.
SHRUNK_BYTES = 400_000
ORIGINAL_BYTES = 4_000_000
UNSHRUNK_SHARE = 0.05
UPLOAD_BYTES = round((1 - UNSHRUNK_SHARE) * SHRUNK_BYTES + UNSHRUNK_SHARE * ORIGINAL_BYTES)
PHOTO_BYTES = 330_000  # a 12-megapixel phone photo processed: ~300 KB display + ~30 KB thumb
THUMB_BYTES = 30_000
# What a view loads, from the built site (``site_build.manifest()``, what deploys): the board's
# and a case page's HTML, and the JS and CSS files each loads (one of each since the build; 12
# ES modules and stylesheets before it, 36 KB gzipped), averaged over the two (half the views
# each). ``page_weight()``.
VIEWED_PAGES = ("index.html", "case.html")
FIRST_VISITS = 0.2  # one view in five loads the assets (the rest from the browser's cache)
# CloudFront keeps a public answer for its ``max-age`` (infra/template.py API_MAX_CACHE_SECONDS):
# the board's first page, one URL for every visitor, is half the board views; it reaches the API
# at most once a minute from each regional edge cache the city's visitors go through (three
# assumed). Other board pages (filters, later pages) and case pages are counted as misses.
BOARD_FIRST_PAGE_SHARE = 0.5
BOARD_CACHE_SECONDS = 60
REGIONAL_EDGE_CACHES = 3
LOG_RETENTION_MONTHS = 12  # infra/template.py LOG_RETENTION_DAYS = 365
STORAGE_MONTHS = 12  # the table shows storage as it stands after a year of cases
# The bucket moves a processed display photo (over 128 KB, Standard-IA's minimum) to
# Standard-IA after 30 days (infra/template.py PHOTO_IA_AFTER_DAYS); thumbnails stay. Of a
# year of photos, every month's but the last month's display photos are in Standard-IA.
IA_MONTHS = STORAGE_MONTHS - 1
CUSTOM_METRICS = 2  # functions/metrics.py UNITS
SECRETS = {"ap-southeast-1": 1, "cn-northwest-1": 3}  # origin; + SMS and SMTP credentials
RATE_JOBS_MINUTES = {"sla-sweep": 5, "outbox": 1, "auto-close": 15, "hotspots": 60}
DAILY_JOBS = ("digest", "desk-weekly", "archive", "retention")
S3_PUTS = ("PutObject", "CopyObject", "PostObject", "ListObjects", "ListObjectsV2")
S3_GETS = ("GetObject", "HeadObject")


@dataclass
class Usage:
    """What one part of the sample asked of AWS."""

    calls: Counter[str] = field(default_factory=Counter)
    rru: float = 0.0
    wru: float = 0.0
    gsi_wru: float = 0.0
    dynamo_requests: float = 0.0
    invocations: Counter[str] = field(default_factory=Counter)  # function → count
    seconds: Counter[str] = field(default_factory=Counter)  # function → measured seconds
    api_bytes: float = 0.0  # gzipped answer bodies (CloudFront → viewer)
    runs: float = 0.0

    def add(self, other: Usage) -> None:
        self.calls.update(other.calls)
        self.rru += other.rru
        self.wru += other.wru
        self.gsi_wru += other.gsi_wru
        self.dynamo_requests += other.dynamo_requests
        self.invocations.update(other.invocations)
        self.seconds.update(other.seconds)
        self.api_bytes += other.api_bytes
        self.runs += other.runs

    def scaled(self, factor: float) -> Usage:
        return Usage(
            Counter({k: v * factor for k, v in self.calls.items()}),  # type: ignore[misc]
            self.rru * factor,
            self.wru * factor,
            self.gsi_wru * factor,
            self.dynamo_requests * factor,
            Counter({k: v * factor for k, v in self.invocations.items()}),  # type: ignore[misc]
            Counter({k: v * factor for k, v in self.seconds.items()}),  # type: ignore[misc]
            self.api_bytes * factor,
            self.runs * factor,
        )


@dataclass
class Sample:
    size: int
    usage: dict[str, Usage]  # label → what that part of the sample used
    empty: dict[str, Usage]  # job → one run with nothing to do
    board_view: Usage
    case_view: Usage
    templates: Counter[str]
    mail: Counter[str]
    photos: int
    stored_items: int
    stored_bytes: int
    log_bytes: int
    stored_by: Counter[str]  # bytes per table and "table/index" the sample added
    writes_by: Counter[str]  # WRU per table and "table/index" over the whole sample
    view_reads: dict[str, Counter[str]]  # RRU of one board page and one case page, by table


def job_work(sample: Sample, name: str) -> Usage:
    """The job's runs in the sample less their empty cost: the work the cases gave it."""
    usage = Usage()
    for label, used in sample.usage.items():
        if label in (f"job:{name}", f"work:{name}"):
            usage.add(used)
            usage.add(sample.empty[name].scaled(-used.runs))
    # Measured seconds are noisy: an empty run timed once, subtracted many times, can leave
    # less than nothing; the work's time is then taken as none.
    for function, seconds in list(usage.seconds.items()):
        usage.seconds[function] = max(0.0, seconds)  # type: ignore[assignment]
    return usage


def case_usage(sample: Sample) -> Usage:
    """Everything one case costs, on average: its lifecycle, its photos, its share of the
    jobs' work, its 50 page views."""
    usage = Usage()
    usage.add(sample.usage["case"])
    for name in (*RATE_JOBS_MINUTES, "rankings", "archive", "retention"):
        usage.add(job_work(sample, name))
    per_case = usage.scaled(1 / sample.size)
    per_case.add(sample.board_view.scaled(VIEWS_PER_CASE / 2))
    per_case.add(sample.case_view.scaled(VIEWS_PER_CASE / 2))
    per_case.runs = 0
    return per_case


PER_UNIT = {"digest": "email:digest", "desk-weekly": "email:desk_weekly"}
# Messages that follow units, staff or bursts, not cases: counted apart.
NOT_PER_CASE = ("digest", "desk_weekly", "staff_sign_in", "hotspot_warning")


def per_case(sample: Sample) -> dict[str, float]:
    """The counts one case costs (what must not change with the sample's size)."""
    u = case_usage(sample)
    messages: Counter[str] = Counter()
    for key, n in sample.templates.items():
        channel, template = key.split(":", 1)
        if template not in NOT_PER_CASE:
            messages[channel] += n
    return {
        "API requests": u.invocations["api"],
        "DynamoDB requests": u.dynamo_requests,
        "read request units": u.rru,
        "write request units (items)": u.wru,
        "write request units (indexes)": u.gsi_wru,
        "S3 PUT-class requests": sum(u.calls[f"s3:{op}"] for op in S3_PUTS),
        "S3 GET-class requests": sum(u.calls[f"s3:{op}"] for op in S3_GETS),
        "photo processing invocations": u.invocations["process_upload"],
        "e-mails": messages["email"] / sample.size,
        "SMS": messages["sms"] / sample.size,
    }


def _signin(sample: Sample) -> Usage:
    """One staff sign-in (ask for the link, open the session)."""
    staff = sample.usage.get("staff")
    if staff is None:
        return Usage()
    return staff.scaled(1 / max(1, staff.invocations["api"] // 2))


def cached_board_views() -> float:
    """The month's board views CloudFront answers from its cache (the API never sees them)."""
    first_pages = VIEWS_PER_CASE / 2 * CASES * BOARD_FIRST_PAGE_SHARE
    reaching = DAYS * 24 * 3600 / BOARD_CACHE_SECONDS * REGIONAL_EDGE_CACHES
    return max(0.0, first_pages - reaching)


def month_usage(sample: Sample) -> tuple[Usage, dict[str, float]]:
    """The month at the seeds' scale: the per-case usage × 60,000 less the board views CloudFront
    answers from its cache, every job's empty runs at its schedule, the per-unit jobs' work per
    unit, staff sign-ins; and the month's messages."""
    usage = case_usage(sample).scaled(CASES)
    usage.add(sample.board_view.scaled(-cached_board_views()))
    for name, minutes in RATE_JOBS_MINUTES.items():
        usage.add(sample.empty[name].scaled(DAYS * 24 * 60 / minutes))
    for name in DAILY_JOBS:
        usage.add(sample.empty[name].scaled(DAYS))
    usage.add(sample.empty["rankings"].scaled(1))
    units = _units()
    mails_per_unit: dict[str, float] = {}
    for name, template in PER_UNIT.items():
        sent = sample.templates[template]
        per_run_unit = job_work(sample, name).scaled(1 / sent) if sent else None
        times = WORKING_DAYS if name == "digest" else WEEKS
        if per_run_unit is not None:
            usage.add(per_run_unit.scaled(units * times))
        mails_per_unit[name] = units * times
    usage.add(_signin(sample).scaled(SIGNINS_PER_DAY * DAYS))
    pc = per_case(sample)
    messages = {
        "email": pc["e-mails"] * CASES + sum(mails_per_unit.values()) + SIGNINS_PER_DAY * DAYS,
        "sms": pc["SMS"] * CASES,
    }
    return usage, messages


def alarm_metrics() -> tuple[int, int]:
    """(alarms, metrics they evaluate) in infra/template.py: CloudWatch bills a standard alarm
    per metric it evaluates, so an alarm adding up N metrics (metric math) costs N."""
    from infra.template import alarms

    found = [r for r in alarms("prod").values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    metrics = 0
    for alarm in found:
        queries = alarm["Properties"].get("Metrics")
        metrics += sum(1 for q in queries if "MetricStat" in q) if queries else 1
    return len(found), metrics


def _units() -> int:
    from infra import bootstrap

    return len(bootstrap.city()["departments"])


def _invocations(usage: Usage) -> float:
    return float(sum(v for k, v in usage.invocations.items() if k != "browser"))


def _gb_seconds(usage: Usage) -> float:
    return sum(
        seconds * MEMORY_GB.get(function, JOB_MEMORY_GB)
        for function, seconds in usage.seconds.items()
        if function != "browser"
    )


@dataclass(frozen=True)
class PageWeight:
    html_bytes: float  # gzipped
    asset_files: float  # the JS and CSS files a first view asks for
    asset_bytes: float  # gzipped, together


def page_weight() -> PageWeight:
    """A view's weight on the built site, averaged over ``VIEWED_PAGES``."""
    pages = [site_build.manifest()["pages"][name] for name in VIEWED_PAGES]
    return PageWeight(
        html_bytes=sum(p["html_gzip_bytes"] for p in pages) / len(pages),
        asset_files=sum(len(p["files"]) for p in pages) / len(pages),
        asset_bytes=sum(p["gzip_bytes"] for p in pages) / len(pages),
    )


FULL_CORE_MB = 1769  # Lambda gives one vCPU at 1,769 MB, a share in proportion below


def _cpu_bound_gb_seconds(usage: Usage) -> float:
    """The measured seconds (on a full core, moto included) stretched to the CPU share of each
    function's memory, a pessimistic bound for a CPU-bound handler: t × (1,769 MB / memory)
    seconds at ``memory`` GB is t × 1.73 GB-s whatever the memory below a full core."""
    return sum(
        seconds * FULL_CORE_MB / 1024 for f, seconds in usage.seconds.items() if f != "browser"
    )


def month(sample: Sample, prices: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each region's month by service, in its currency and in USD."""
    usage, messages = month_usage(sample)
    api = usage.invocations["api"]
    invocations = _invocations(usage)
    gb_seconds = _gb_seconds(usage)
    photos = sample.photos / sample.size * CASES
    views = VIEWS_PER_CASE * CASES
    media = views / 2 * (sample.photos / sample.size)  # a case page shows its thumbnail
    weight = page_weight()
    page_requests = views * (1 + FIRST_VISITS * weight.asset_files)
    cached = cached_board_views()
    # Outside China the browser posts each photo straight to the bucket's endpoint (data into
    # S3 is free); in China through CloudFront, same origin (infra/template.py
    # ``uploads_post_url``): a request, and the bytes sent towards the origin, are CloudFront's.
    cf_requests = api + cached + page_requests + media
    upload_gb = photos * UPLOAD_BYTES / 1e9
    cf_bytes = usage.api_bytes + cached * sample.board_view.api_bytes
    cf_bytes += views * (weight.html_bytes + FIRST_VISITS * weight.asset_bytes)
    cf_bytes += media * THUMB_BYTES
    per_case_bytes = sample.stored_bytes / sample.size
    table_gb = per_case_bytes * CASES * STORAGE_MONTHS / 1e9
    # Point-in-time recovery is billed on each table's size "including table data and local
    # secondary indexes" (DynamoDB developer guide, PointInTimeRecovery_Howitworks): the global
    # secondary indexes' entries ("table/index" in ``stored_by``) are not backed up, and not
    # billed for it.
    base_bytes = sum(n for name, n in sample.stored_by.items() if "/" not in name)
    backed_up_gb = table_gb * (base_bytes / max(sample.stored_bytes, 1))
    photo_gb = photos * PHOTO_BYTES * STORAGE_MONTHS / 1e9
    photo_ia_gb = photos * (PHOTO_BYTES - THUMB_BYTES) * IA_MONTHS / 1e9
    photo_standard_gb = photo_gb - photo_ia_gb
    originals_gb = photos * UPLOAD_BYTES / 1e9 / DAYS  # each kept a day at most (lifecycle)
    log_gb = (sample.log_bytes / _sample_invocations(sample) + LAMBDA_LINES) * invocations / 1e9
    s3_puts = sum(usage.calls[f"s3:{op}"] for op in S3_PUTS)
    s3_gets = sum(usage.calls[f"s3:{op}"] for op in S3_GETS)
    found: dict[str, dict[str, Any]] = {}
    for region, p in prices["regions"].items():
        through_cf = photos if _uploads_through_cloudfront(region) else 0.0
        region_cf_requests = cf_requests + through_cf
        lines = {
            "DynamoDB requests": (
                usage.rru * p["dynamodb_read_per_million"]
                + (usage.wru + usage.gsi_wru) * p["dynamodb_write_per_million"]
            )
            / 1e6,
            "DynamoDB storage + PITR": table_gb * p["dynamodb_storage_gb_month"]
            + backed_up_gb * p["dynamodb_pitr_gb_month"],
            "Lambda": invocations * p["lambda_requests_per_million"] / 1e6
            + gb_seconds * p["lambda_gb_second"],
            "API Gateway": api * _api_price(region, p) / 1e6,
            "S3 requests + storage": s3_puts * p["s3_put_per_thousand"] / 1e3
            + s3_gets * p["s3_get_per_thousand"] / 1e3
            + (photo_standard_gb + originals_gb) * p["s3_storage_gb_month"]
            + photo_ia_gb * p["s3_ia_storage_gb_month"]
            + photos * p["s3_ia_transition_per_thousand"] / 1e3,
            "CloudFront": region_cf_requests * p["cloudfront_https_per_10k"] / 1e4
            + cf_bytes / 1e9 * p["cloudfront_transfer_gb"]
            + media * p["cloudfront_function_per_million"] / 1e6  # /media/* → processed/
            + (upload_gb if through_cf else 0.0) * p["cloudfront_to_origin_gb"],
            "CloudWatch logs and custom metrics": log_gb * p["logs_ingest_gb"]
            + log_gb * LOG_RETENTION_MONTHS / 2 * p["logs_storage_gb_month"]
            + CUSTOM_METRICS * p["custom_metric_month"],
            "CloudWatch alarms": alarm_metrics()[1] * p["alarm_month"],
            "Secrets Manager": SECRETS[region] * p["secret_month"],
        }
        fees = {
            "e-mail": messages["email"] * p["email_per_thousand"] / 1e3,
            "SMS": messages["sms"] * p["sms_per_message"],
        }
        total = sum(lines.values())
        free = p.get("free_tier", {})
        credit = _free_tier_credit(
            free,
            p,
            invocations=invocations,
            gb_seconds=gb_seconds,
            cf_requests=region_cf_requests,
            cf_gb=cf_bytes / 1e9,
            cf_functions=media,
            table_gb=table_gb,
            log_gb=log_gb,
        )
        rate = p["usd_per_unit"]
        found[region] = {
            "currency": p["currency"],
            "lines": lines,
            "fees": fees,
            "total": total,
            "total_without_messages_usd": total * rate,
            "free_tier_credit": credit,
            "after_free_tier_usd": (total - credit) * rate,
            "usd_per_unit": rate,
        }
    found["quantities"] = {
        "DynamoDB RRU": usage.rru,
        "DynamoDB WRU (items)": usage.wru,
        "DynamoDB WRU (indexes)": usage.gsi_wru,
        "DynamoDB GB after a year": table_gb,
        "… of it in the tables (backed up by PITR; the rest is global secondary indexes)": (
            backed_up_gb
        ),
        "Lambda invocations": invocations,
        "Lambda GB-s (measured)": gb_seconds,
        "Lambda GB-s if all of it were CPU at the memory's share": _cpu_bound_gb_seconds(usage),
        "API Gateway requests": api,
        "board views answered from CloudFront's cache": cached,
        "S3 PUT-class": s3_puts,
        "S3 GET-class": s3_gets,
        "photo GB after a year": photo_gb,
        "… of it in Standard-IA": photo_ia_gb,
        "CloudFront requests (outside China; China adds the photo POSTs)": cf_requests,
        "CloudFront requests for pages (HTML, and JS and CSS on a first view)": page_requests,
        "JS and CSS files a first view loads": weight.asset_files,
        "CloudFront GB out": cf_bytes / 1e9,
        "photo uploads, GB (into S3; through CloudFront to it in China only)": upload_gb,
        "log GB": log_gb,
        "CloudWatch alarms (metrics they evaluate)": alarm_metrics()[1],
        "e-mails": messages["email"],
        "SMS": messages["sms"],
    }
    return found


def _uploads_through_cloudfront(region: str) -> bool:
    """Whether photos go up through CloudFront there: only in the China regions."""
    from infra.template import is_china

    return is_china(region)


def _api_price(region: str, p: dict[str, Any]) -> float:
    """Per million requests: the HTTP API outside China, the REST API in it (infra/template.py
    ``http_api``, ``finish``)."""
    from infra.template import is_china

    return float(
        p["api_gateway_rest_per_million"] if is_china(region) else p["api_gateway_http_per_million"]
    )


def _free_tier_credit(
    free: dict[str, float],
    p: dict[str, Any],
    *,
    invocations: float,
    gb_seconds: float,
    cf_requests: float,
    cf_gb: float,
    cf_functions: float,
    table_gb: float,
    log_gb: float,
) -> float:
    """What the always-free tier (prices.json ``free_tier``, each month, per account) takes off
    the month: the same quantities, each up to its free amount, at the prices above. What a
    region's tier does not name is not free there (the China regions: CloudWatch's only)."""
    if not free:
        return 0.0
    return (
        min(invocations, free.get("lambda_requests", 0)) * p["lambda_requests_per_million"] / 1e6
        + min(gb_seconds, free.get("lambda_gb_seconds", 0)) * p["lambda_gb_second"]
        + min(cf_requests, free.get("cloudfront_requests", 0)) * p["cloudfront_https_per_10k"] / 1e4
        + min(cf_gb, free.get("cloudfront_transfer_gb", 0)) * p["cloudfront_transfer_gb"]
        + min(cf_functions, free.get("cloudfront_functions", 0))
        * p["cloudfront_function_per_million"]
        / 1e6
        + min(table_gb, free.get("dynamodb_storage_gb", 0)) * p["dynamodb_storage_gb_month"]
        + min(alarm_metrics()[1], free.get("alarm_metrics", 0)) * p["alarm_month"]
        + min(CUSTOM_METRICS, free.get("custom_metrics", 0)) * p["custom_metric_month"]
        + min(log_gb, free.get("logs_ingest_gb", 0)) * p["logs_ingest_gb"]
    )


def _sample_invocations(sample: Sample) -> float:
    total = 0.0
    for used in sample.usage.values():
        total += _invocations(used)
    return max(total, 1.0)


def _short(name: str) -> str:
    return name.removeprefix("wz-test-")


def _money(value: float) -> str:
    return f"{value:,.2f}"


def report(samples: list[Sample], months: list[dict[str, Any]], prices: dict[str, Any]) -> str:
    """The tables docs/PERFORMANCE.md records, from the bigger sample."""
    sample, m = samples[-1], months[-1]
    regions = list(prices["regions"])
    out = [
        f"### A month at {CASES_PER_DAY:,} cases a day ({CASES:,} cases), prices of "
        f"{prices['as_of']}",
        "",
    ]
    head = (
        "| service | "
        + " | ".join(f"{r} ({m[r]['currency']}) / month | per 1,000 cases" for r in regions)
        + " |"
    )
    out += [head, "| --- |" + " ---: | ---: |" * len(regions)]
    for line in m[regions[0]]["lines"]:
        cells = [
            f"{_money(m[r]['lines'][line])} | {_money(m[r]['lines'][line] / CASES * 1000)}"
            for r in regions
        ]
        out.append(f"| {line} | " + " | ".join(cells) + " |")
    cells = [
        f"**{_money(m[r]['total'])}** | **{_money(m[r]['total'] / CASES * 1000)}**" for r in regions
    ]
    out.append("| **platform, without SMS and mail** | " + " | ".join(cells) + " |")
    cells = [
        f"{_money(m[r]['total_without_messages_usd'])} USD | "
        f"{_money(m[r]['total_without_messages_usd'] / CASES * 1000)} USD"
        for r in regions
    ]
    out.append("| … in USD | " + " | ".join(cells) + " |")
    cells = [
        f"−{_money(m[r]['free_tier_credit'])} | −{_money(m[r]['free_tier_credit'] / CASES * 1000)}"
        for r in regions
    ]
    out.append(
        "| always-free tier (per account; in China CloudWatch's only) | " + " | ".join(cells) + " |"
    )
    cells = [
        f"**{_money(m[r]['after_free_tier_usd'])} USD** | "
        f"{_money(m[r]['after_free_tier_usd'] / CASES * 1000)} USD"
        for r in regions
    ]
    out.append("| **after the always-free tier, in USD** | " + " | ".join(cells) + " |")
    for fee in m[regions[0]]["fees"]:
        cells = [
            f"{_money(m[r]['fees'][fee])} | {_money(m[r]['fees'][fee] / CASES * 1000)}"
            for r in regions
        ]
        out.append(f"| {fee} fees (apart) | " + " | ".join(cells) + " |")
    out += ["", "### The month's quantities", "", "| quantity | a month |", "| --- | ---: |"]
    out += [f"| {k} | {v:,.1f} |" for k, v in m["quantities"].items()]
    out += ["", "### Per case at the two sample sizes", ""]
    rows = [per_case(s) for s in samples]
    out.append("| per case | " + " | ".join(f"{s.size} cases" for s in samples) + " |")
    out.append("| --- |" + " ---: |" * len(samples))
    for key in rows[0]:
        out.append(f"| {key} | " + " | ".join(f"{r[key]:.2f}" for r in rows) + " |")
    seconds = [case_usage(s).seconds for s in samples]
    out.append(
        "| Lambda seconds, measured on moto (not asserted) | "
        + " | ".join(f"{sum(v for k, v in x.items() if k != 'browser'):.3f}" for x in seconds)
        + " |"
    )
    out.append(
        "| stored bytes (DynamoDB, with indexes) | "
        + " | ".join(f"{s.stored_bytes / s.size:,.0f}" for s in samples)
        + " |"
    )
    out += ["", "### Where a case's DynamoDB units go (bigger sample, per case)", ""]
    out += [
        "| part | RRU | WRU items | WRU indexes | requests |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    parts = {"lifecycle (API, photo)": sample.usage["case"].scaled(1 / sample.size)}
    for name in (*RATE_JOBS_MINUTES, "rankings", "archive", "retention"):
        parts[f"job {name} (work)"] = job_work(sample, name).scaled(1 / sample.size)
    parts["25 board pages"] = sample.board_view.scaled(VIEWS_PER_CASE / 2)
    parts["25 case pages"] = sample.case_view.scaled(VIEWS_PER_CASE / 2)
    for part, u in parts.items():
        out.append(
            f"| {part} | {u.rru:.1f} | {u.wru:.1f} | {u.gsi_wru:.1f} | {u.dynamo_requests:.1f} |"
        )
    out += ["", "### Where the writes and the bytes go (bigger sample, per case, top 12)", ""]
    out += [
        "| table or index | WRU | | table or index | bytes stored |",
        "| --- | ---: | --- | --- | ---: |",
    ]
    writes = sample.writes_by.most_common(12)
    stored = sample.stored_by.most_common(12)
    for (w, wn), (b, bn) in zip(writes, stored, strict=False):
        out.append(
            f"| {_short(w)} | {wn / sample.size:.1f} | | {_short(b)} | {bn / sample.size:,.0f} |"
        )
    out += ["", "### One page view's reads by table (RRU)", ""]
    for view, reads in sample.view_reads.items():
        tables = ", ".join(f"{_short(t)} {n:.1f}" for t, n in reads.most_common())
        out.append(f"- {view}: {sum(reads.values()):.1f} ({tables})")
    out += ["", "### Messages by channel and template (bigger sample, per case)", ""]
    out += ["| message | per case |", "| --- | ---: |"]
    for template, n in sorted(sample.templates.items(), key=lambda kv: -kv[1]):
        out.append(f"| {template} | {n / sample.size:.2f} |")
    out += [
        "",
        "### Each job's run with nothing to do",
        "",
        "| job | runs a month | RRU | requests | seconds (moto) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, e in sample.empty.items():
        runs = (
            DAYS * 24 * 60 / RATE_JOBS_MINUTES[name]
            if name in RATE_JOBS_MINUTES
            else DAYS
            if name in DAILY_JOBS
            else 1
        )
        out.append(
            f"| {name} | {runs:,.0f} | {e.rru:.1f} | {e.dynamo_requests:.0f} | "
            f"{sum(e.seconds.values()):.3f} |"
        )
    return "\n".join(out)
