"""The demo city replays through the real use cases into every state of the lifecycle."""

from __future__ import annotations

import json

from functions.domain.lifecycle import State
from infra.bootstrap import DEMO


def test_demo_cases_replay_into_every_state(aws: None) -> None:
    from functions.storage import cases_repo
    from infra import bootstrap
    from infra.demo_loader import load_demo

    bootstrap.load_city()
    samples = load_demo()
    counts = cases_repo.state_counts()
    expected = len(json.loads((DEMO / "cases.json").read_text(encoding="utf-8"))["cases"])
    assert sum(counts.values()) == expected >= 55
    assert {s.value for s in State} - {State.ARCHIVED.value} <= {k for k, v in counts.items() if v}
    assert samples and all(s["tracking_code"] for s in samples)


def test_demo_city_has_counties_and_departments_with_contacts() -> None:
    city = json.loads((DEMO / "city.json").read_text(encoding="utf-8"))
    assert len(city["districts"]) == 9 and len(city["departments"]) >= 25
    for department in city["departments"]:
        assert department["handler"]["email"].endswith("@linjiang.example")
        assert department["spokesperson"]["phone"].startswith("+861")
