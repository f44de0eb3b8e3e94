"""The public 不满意专区 (§14): ``GET /api/cases?rating=unsatisfied`` lists the public cases whose
latest rating is 不满意, the latest first, from a sparse index, each with what happened next:
the 重办 deadline while the lead works on it again, the second reply, the second rating."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.api.helpers import Api, reply_body

UNSATISFIED = "/api/cases?rating=unsatisfied"
COMMENT = "问题根本没有解决，电梯昨天又停了。有事请打 13698765432。"


def listed(api: Api, query: str = "") -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = api.ok(api.get(UNSATISFIED + query))["items"]
    return items


def rated(api: Api, rating: str, **overrides: Any) -> tuple[str, str]:
    created, _ = api.replied_case(**overrides)
    case_id, code = created["case_id"], created["tracking_code"]
    api.ok(api.rate(case_id, code, rating, COMMENT if rating == "unsatisfied" else None))
    return case_id, code


def test_a_reopened_case_is_listed_with_its_redo_deadline_and_a_satisfied_one_is_not(
    api: Api,
) -> None:
    reopened, _ = rated(api, "unsatisfied")
    satisfied, _ = rated(api, "satisfied")
    rated(api, "unsatisfied", public=False)  # not on the board: not in the 专区 either

    [card] = listed(api)
    assert card["case_id"] == reopened and card["state"] == "reopened"
    assert card["rating"]["rating"] == "unsatisfied"
    story = card["unsatisfied"]
    assert story["reopen_count"] == 1 and story["escalated"] is False
    assert story["redo_due_at"] == card["reply_due_at"] and story["redo_due_at"]
    [first] = story["rounds"]
    assert (
        first["n"] == 1 and first["rating"] == "unsatisfied" and first["rating_label"] == "不满意"
    )
    # The comment as the public reads it: scrubbed (tests/api/conftest.py checks every public
    # answer for what the scrubber would still remove).
    assert first["rating_comment"].startswith("问题根本没有解决") and first["outcome_label"]
    assert "13698765432" not in first["rating_comment"]
    assert first["department"]["id"] == "dept-1"
    board = api.ok(api.get("/api/cases"))["items"]
    assert satisfied in [c["case_id"] for c in board]  # on the board, not in the 专区
    assert all("unsatisfied" not in c for c in board)  # the story is the 专区's


def test_the_second_reply_and_rating_show_and_a_satisfied_second_rating_leaves(
    api: Api,
) -> None:
    case_id, code = rated(api, "unsatisfied")
    link = api.link("dept-1", case_id)  # the fresh link of the 重办
    api.ok(api.handle_act(link, "reply", reply_body(text="已更换电梯主板并联系维保单位每周巡检。")))

    [card] = listed(api)
    story = card["unsatisfied"]
    assert card["state"] == "replied" and story["redo_due_at"] is None
    assert [r["n"] for r in story["rounds"]] == [1, 2]
    assert story["rounds"][1]["rating"] is None and "维保单位" in story["rounds"][1]["text"]
    assert card["rating"]["rating"] == "unsatisfied"  # the latest rating given stands

    api.ok(api.rate(case_id, code, "unsatisfied", "还是不行"))  # the second 不满意: again
    [card] = listed(api)
    assert [r["rating"] for r in card["unsatisfied"]["rounds"]] == ["unsatisfied"] * 2
    assert card["unsatisfied"]["reopen_count"] == 2

    link = api.link("dept-1", case_id)
    api.ok(api.handle_act(link, "reply", reply_body()))
    api.ok(api.rate(case_id, code, "satisfied"))
    assert listed(api) == []


def test_the_latest_unsatisfied_rating_comes_first_and_the_board_filters_apply(
    api: Api,
) -> None:
    first, _ = rated(api, "unsatisfied")
    api.advance(timedelta(hours=1))
    second, _ = rated(api, "unsatisfied", lead="dept-2")
    assert [c["case_id"] for c in listed(api)] == [second, first]
    assert [c["case_id"] for c in listed(api, "&department=dept-2")] == [second]
    assert [c["case_id"] for c in listed(api, "&department=dept-1")] == [first]
    assert listed(api, "&kind=consultation") == []
