"""Similar cases (§14, issue 16 §1) at 10,000 and 100,000 cases: what one lookup reads and how
long it takes, and whether it still finds the report it should.

Seeded as submissions leave the tables: N reports from ``tests/similar_corpus.py`` (the demo
city's nine districts, filed over the last 90 days, about one in twenty another citizen's
words for an earlier report) as public, accepted cases with their similar-case index items
(``services.similar.index_items``, the items a submission writes), put straight into moto's
tables (``tests/quick_moto.put_straight``). Then ``services.similar.public`` answers lookups
for fresh reports that retell one of the N in other words, as the submit page sends them.

Counted with botocore hooks: requests per lookup and the items they return. Timed: the
lookup, median over the probes, as a ratio against a bare ``Query`` of one of its keys in
the same run (timings are printed, never asserted); moto answers a base-table Query from
the key's partition for both (``tests/quick_moto.partition_queries``), as DynamoDB does,
instead of walking the table. Found: how often the retold report's original is among the
suggestions.

``make test`` runs a small instance (300 / 1,200 cases, 20 probes); ``make bench``
(``BENCH_SIMILAR_CASES=10000,100000``, ``BENCH_SIMILAR_PROBES=200``) the real one."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.bench.test_rankings_scale import Reads, measuring
from tests.factories import RULES

CASES = [int(n) for n in os.environ.get("BENCH_SIMILAR_CASES", "300,1200").split(",")]
PROBES = int(os.environ.get("BENCH_SIMILAR_PROBES", "20"))
NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


@pytest.fixture
def reads(aws: None) -> Iterator[Reads]:
    hooks = Reads()
    yield hooks
    measuring(hooks, on=False)


def _demo_city() -> None:
    import json

    from functions.storage import directory
    from tests.localstack import ROOT

    directory.put_taxonomy(json.loads((ROOT / "infra" / "demo" / "city.json").read_text("utf-8")))
    directory.clear_cache()


def _case(n: int, report: dict[str, Any], at: datetime) -> Any:
    from functions.domain.actions.submit import new_case
    from functions.domain.cases import CITIZEN, Contact
    from functions.domain.geo import Location
    from functions.domain.lifecycle import State
    from functions.domain.taxonomy import Channel, Kind

    point = report["lat"] is not None
    case = new_case(
        case_id=f"WZ20261101-{n:06d}",
        tracking_hash="h",
        tracking_code="BENCHCODE",
        kind=Kind.COMPLAINT,
        category=report["category"],
        district=report["district"],
        title=report["title"],
        content=report["content"],
        contact=Contact("张三", "+8613800000000", None),
        consent_public=True,
        channel=Channel.WEB,
        actor=CITIZEN,
        now=at,
        contact_salt="bench",
        location=Location(None, report["lat"], report["lng"]) if point else None,
        rules=RULES,
    ).case
    case.state, case.approved_public = State.ACCEPTED, True
    return case


def _seed(cases: int) -> list[tuple[dict[str, Any], str]]:
    """About ``cases`` cases and their index items; answers the probes: reports of the corpus
    that retell one of the seeded ones (kept out of the table), each with the id of the case
    it retells."""
    from functions.services import similar
    from functions.storage import case_items
    from functions.storage.models import CaseModel, SimilarModel
    from tests.quick_moto import put_straight
    from tests.similar_corpus import reports

    corpus = list(reports(cases + PROBES, seed=7))  # about one in twenty retells an earlier one
    probing: dict[int, int] = {}  # the probe's index → the retold report's
    for i in range(len(corpus) - 1, len(corpus) // 2, -1):
        was = corpus[i]["paraphrase_of"]
        if was is not None and was not in probing and len(probing) < PROBES:
            probing[i] = was
    step = timedelta(days=89) / len(corpus)
    built = {
        n: _case(n, r, NOW - timedelta(days=89) + n * step)
        for n, r in enumerate(corpus)
        if n not in probing
    }
    put_straight(
        CaseModel.Meta.table_name, (case_items.to_model(c).serialize() for c in built.values())
    )
    put_straight(
        SimilarModel.Meta.table_name,
        (item.serialize() for c in built.values() for item in similar.index_items(c)),
    )
    probes = [(corpus[i], built[was].case_id) for i, was in sorted(probing.items())]
    assert len(probes) >= PROBES // 2, len(probes)
    return probes


def _params(report: dict[str, Any]) -> dict[str, str]:
    params = {"title": report["title"], "content": report["content"][:200]}
    params["district"] = report["district"]
    if report["lat"] is not None:
        params["lat"], params["lng"] = f"{report['lat']:.5f}", f"{report['lng']:.5f}"
    return params


@pytest.mark.parametrize("cases", CASES)
def test_a_lookup_reads_what_shares_its_keys_not_the_table(reads: Reads, cases: int) -> None:
    from functions.domain import similarity
    from functions.services import similar
    from functions.storage import similar_repo
    from functions.storage.models import CaseModel, SimilarModel
    from tests.quick_moto import partition_queries

    _demo_city()
    started = time.perf_counter()
    probes = _seed(cases)
    seeded = time.perf_counter() - started

    requests, items, lookups, bare, found = [], [], [], [], 0
    with partition_queries():
        similar.public(_params(probes[0][0]), NOW)  # warm: taxonomy cache, connections
        measuring(reads)
        for report, original in probes:
            reads.reset()
            t0 = time.perf_counter()
            answer = similar.public(_params(report), NOW)
            lookups.append(time.perf_counter() - t0)
            requests.append(reads.total)
            items.append(reads.items_read)
            found += original in [i["case_id"] for i in answer["items"]]
            first = similarity.keys_of(report["title"], report["content"])[0]
            key = f"{report['district']}|{first}"
            t0 = time.perf_counter()
            list(SimilarModel.query(key, limit=similar_repo.PER_KEY))  # the bare call: one key
            bare.append(time.perf_counter() - t0)
        measuring(reads, on=False)

    # Bounded by the keys a lookup asks (bands and four place cells) and what it then reads,
    # whatever the table holds: never a scan.
    keys = similarity.BANDS + 4
    bound = (
        keys * similar_repo.PER_KEY + similarity.MAX_CANDIDATES + similarity.MAX_SUGGESTIONS * 10
    )
    assert max(items) <= bound
    assert reads.requests[("Scan", CaseModel.Meta.table_name)] == 0
    ratio = statistics.median(lookups) / statistics.median(bare)
    print(
        f"\n{cases} cases (seeded in {seeded:.0f} s), {len(probes)} lookups: "
        f"requests {statistics.median(requests):.0f}, "
        f"items read median {statistics.median(items):.0f} "
        f"(max {max(items)}), lookup {statistics.median(lookups) * 1000:.1f} ms = "
        f"{ratio:.1f}x a bare Query of one key ({statistics.median(bare) * 1000:.2f} ms); "
        f"the retold report found {found}/{len(probes)}"
    )
