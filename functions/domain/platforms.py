"""Which platform holds a case (§15, 1+8+N): the one whose coordinators must 受理 it and whose
own 受理 deadline runs, listed under its name among the platform's delays.

Today one platform holds every case: the city's 总平台. Routing a case that waits for 受理 to
its county's platform (issue 17 §1) changes :func:`holding_platform` and the coordinators the
service layer finds for a platform (functions/services/platforms.py ``holder_coordinators``);
what asks them (the 受理 ladder, the overdue lists, their index partition) stays as it is."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from functions.domain.cases import Case

CITY = "city"  # 总平台
PLATFORMS = (CITY,)  # every platform, the city's first
PLATFORM_LABELS = {CITY: "总平台"}


def holding_platform(case: Case) -> str:
    """The platform that holds ``case``: today always the city's."""
    return CITY
