"""The public board (GET /api/cases): public cases only (the citizen consented AND a
coordinator approved, and the case was accepted), filters by state / kind / category /
district / department, newest first, and paging that returns every item exactly once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.api.helpers import T0, Api, reply_body


def _board(api: Api, query: str = "") -> list[dict[str, Any]]:
    """Every item over all pages, following ``next_cursor``."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(50):
        path = "/api/cases?" + "&".join(
            part for part in (query, f"cursor={cursor}" if cursor else "") if part
        )
        page = api.ok(api.get(path))
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the board never ran out of pages")


def _ids(api: Api, query: str = "") -> list[str]:
    return [item["case_id"] for item in _board(api, query)]


def _tick(api: Api, n: int) -> None:
    api.set_clock(T0 + timedelta(minutes=n))


def test_board_lists_public_cases_only_and_filters_them(api: Api) -> None:
    made: dict[str, str] = {}

    def case(name: str, n: int, **overrides: Any) -> str:
        _tick(api, n)
        made[name] = api.submit(**overrides)["case_id"]
        return made[name]

    # Public: accepted with both agreements, in several states.
    api.accept(case("accepted", 1, kind="help", category="urban", district="east"))
    api.accept(case("assigned", 2, kind="complaint", category="urban", district="city"))
    api.assign(made["assigned"], "dept-1", ["dept-2"])
    api.accept(case("signed", 3, kind="suggestion", category="transport", district="east"))
    api.assign(made["signed"], "dept-4")
    api.ok(api.handle_act(api.link("dept-4", made["signed"]), "sign"))
    api.accept(case("replied", 4, kind="complaint", category="transport", district="city"))
    api.assign(made["replied"], "dept-2")
    link = api.link("dept-2", made["replied"])
    api.ok(api.handle_act(link, "sign"))
    api.ok(api.handle_act(link, "reply", reply_body()))
    # Not public.
    case("waiting", 5)  # not accepted yet
    api.accept(case("no consent", 6, public=False), public=True)
    api.accept(case("not approved", 7), public=False)
    api.ok(api.act(case("rejected", 8), "reject", {"reason_code": "spam", "reason": "广告信息"}))
    api.accept(case("hidden & assigned", 9, public=False))
    api.assign(made["hidden & assigned"], "dept-1")

    newest_first = ["replied", "signed", "assigned", "accepted"]
    expect = {
        "": newest_first,
        "state=assigned": ["assigned"],
        "state=in_progress": ["signed"],
        "state=replied": ["replied"],
        "state=submitted": [],
        "state=rejected": [],
        "kind=complaint": ["replied", "assigned"],
        "kind=help": ["accepted"],
        "kind=praise": [],
        "category=transport": ["replied", "signed"],
        "category=urban": ["assigned", "accepted"],
        "district=east": ["signed", "accepted"],
        "district=city": ["replied", "assigned"],
        "department=dept-1": ["assigned"],
        "department=dept-2": ["replied"],  # a co-handler is not the department of a case
        "department=dept-3": [],
        "district=east&kind=help": ["accepted"],
        "district=city&state=replied&kind=complaint": ["replied"],
        "department=dept-4&state=in_progress&category=transport&district=east": ["signed"],
        "department=dept-4&state=replied": [],
        "district=nowhere": [],
    }
    for query, names in expect.items():
        assert _ids(api, query) == [made[n] for n in names], query

    items = {item["case_id"]: item for item in _board(api)}
    assigned = items[made["assigned"]]
    assert assigned["lead"] == {"id": "dept-1", "name": "市住房和城乡建设局"}
    assert assigned["co_handlers"] == [{"id": "dept-2", "name": "市交通运输局"}]
    assert assigned["state_label"] == "已交办" and assigned["kind_label"] == "投诉"
    assert assigned["district_label"] == "市本级" and assigned["category_label"] == "城乡建设"
    assert assigned["reply_due_at"] and not assigned["overdue"]
    assert items[made["accepted"]]["lead"] is None
    for hidden in ("waiting", "no consent", "not approved", "rejected", "hidden & assigned"):
        assert api.public(made[hidden]).status == 404, hidden


def test_board_pages_return_every_item_exactly_once_newest_first(api: Api) -> None:
    """25 public cases (a page holds 20) and 3 private ones between them."""
    from functions.storage.paging import PAGE_SIZE

    public: list[str] = []
    for n in range(28):
        _tick(api, n)
        private = n % 9 == 4
        created = api.submit(public=not private, district="east" if n % 2 else "city")
        api.accept(created["case_id"])
        if not private:
            public.append(created["case_id"])
    assert len(public) == 25 > PAGE_SIZE
    newest_first = public[::-1]

    first = api.ok(api.get("/api/cases"))
    assert len(first["items"]) == PAGE_SIZE and first["next_cursor"]
    assert [i["case_id"] for i in first["items"]] == newest_first[:PAGE_SIZE]
    everything = _ids(api)
    assert everything == newest_first
    assert len(set(everything)) == len(everything)
    listed = _board(api)
    instants = [i["created_at"] for i in listed]
    assert instants == sorted(instants, reverse=True)
    district = {i["case_id"]: i["district"] for i in listed}
    # Filtered paging too (a filter that drops items may give short pages).
    assert _ids(api, "district=east") == [c for c in newest_first if district[c] == "east"]
    assert _ids(api, "state=accepted&district=city") == [
        c for c in newest_first if district[c] == "city"
    ]
    # A cursor from one listing is not valid for another.
    other = api.get(f"/api/cases?district=east&cursor={first['next_cursor']}")
    assert other.status == 400 and "cursor" in other.fields


def test_publication_is_decided_at_acceptance_and_lasts_to_closure(api: Api) -> None:
    """Publishing is decided at acceptance; a case never shown stays hidden through every
    later transition, and a public one stays public to its closure."""
    shown = api.submit()
    hidden = api.submit(public=False)
    for created in (shown, hidden):
        api.accept(created["case_id"], public=True)
        api.assign(created["case_id"], "dept-1")
        link = api.link("dept-1", created["case_id"])
        api.ok(api.handle_act(link, "sign"))
        api.ok(api.handle_act(link, "reply", reply_body()))
        api.ok(api.rate(created["case_id"], created["tracking_code"], "satisfied"))
    assert _ids(api) == [shown["case_id"]]
    assert _ids(api, "state=closed") == [shown["case_id"]]
    assert api.ok(api.public(shown["case_id"]))["rating"]["rating_label"] == "满意"
