"""``python -m infra.recard``: write the board card (and 不满意专区 rounds) of every public case
whose item has none of the current version (functions/domain/board_card.py): after the
public-board indexes first hold cards, or after ``board_card.VERSION`` changed. Until then the
board reads such a case whole (one BatchGetItem for those rows of a page); a case written
again gets its card anyway. One Scan of the cases table (run it once, off-peak); each update is
conditional on the case's version, so a case written meanwhile is left as its writer made it.

Environment as for the functions: ``WZ_STAGE`` (table prefix ``wenzheng-<stage>-``) and
``AWS_REGION``, or ``WZ_TABLE_PREFIX``. docs/OPERATIONS.md, "Changing an index"."""

from __future__ import annotations

import sys
from typing import Any

from pynamodb.exceptions import UpdateError


def recard() -> tuple[int, int]:
    """(cards written, public cases seen)."""
    from functions.domain import board_card
    from functions.storage.case_items import from_model, to_model
    from functions.storage.models import CaseModel

    written = seen = 0
    for model in CaseModel.scan(filter_condition=CaseModel.pub_all.exists()):
        seen += 1
        fresh = to_model(from_model(model))
        if (
            board_card.loads(model.pub_card) is not None
            and (fresh.pub_rounds is None) == (model.pub_rounds is None)
            and (fresh.pub_rounds is None or board_card.loads(model.pub_rounds) is not None)
        ):
            continue
        actions: list[Any] = [
            CaseModel.pub_card.set(fresh.pub_card),
            CaseModel.pub_rounds.set(fresh.pub_rounds)
            if fresh.pub_rounds
            else CaseModel.pub_rounds.remove(),
        ]
        try:
            model.update(actions=actions, condition=CaseModel.version == model.version)
            written += 1
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
    return written, seen


def main() -> int:
    written, seen = recard()
    print(f"board cards written: {written} of {seen} public cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
