"""The domain's transitions under one name for tests: each action module's pure function (as
``transitions.accept(...)``) beside the case aggregate's types (``transitions.Case``)."""

from datetime import datetime

from functions.domain import actions
from functions.domain.actions.accept import accept
from functions.domain.actions.anonymise import anonymise
from functions.domain.actions.archive import archive
from functions.domain.actions.assign import assign
from functions.domain.actions.base import Context
from functions.domain.actions.close import close
from functions.domain.actions.co_input import co_input
from functions.domain.actions.expire_rating import expire_rating
from functions.domain.actions.extension_decision import decide_extension
from functions.domain.actions.followup import request_followup
from functions.domain.actions.public_version import edit_public_version
from functions.domain.actions.rate import rate
from functions.domain.actions.reject import reject
from functions.domain.actions.reply import reply
from functions.domain.actions.request_extension import request_extension
from functions.domain.actions.request_info import request_info
from functions.domain.actions.request_return import request_return
from functions.domain.actions.return_decision import decide_return
from functions.domain.actions.sign import sign
from functions.domain.actions.submit import new_case
from functions.domain.actions.supplement import supplement
from functions.domain.actions.supplement_expired import supplement_expired
from functions.domain.calendar import WorkCalendar
from functions.domain.cases import *  # noqa: F403
from functions.domain.cases import Actor, Case, DeadlineRules, DepartmentRef
from functions.domain.lifecycle import Role
from functions.domain.policy import DEFAULT_POLICY, SlaPolicy

__all__ = [
    "accept",
    "anonymise",
    "archive",
    "assign",
    "close",
    "co_input",
    "coordinator_actions",
    "decide_extension",
    "decide_return",
    "department_actions",
    "edit_public_version",
    "expire_rating",
    "new_case",
    "public_version_editable",
    "rate",
    "reject",
    "reply",
    "request_extension",
    "request_followup",
    "request_info",
    "request_return",
    "sign",
    "supplement",
    "supplement_expired",
]


def _context(now: datetime, policy: SlaPolicy) -> Context:
    def unknown(department_id: str, field: str) -> DepartmentRef:
        raise AssertionError(f"no directory in unit tests: {department_id} ({field})")

    return Context(now, DeadlineRules(WorkCalendar(), policy), unknown)


def coordinator_actions(case: Case, now: datetime | None = None) -> list[str]:
    """The console's lifecycle forms (the registry's staff actions offered), without the
    public-version section that sits beside them."""
    at = now or case.updated_at or case.created_at
    console = Actor(Role.COORDINATOR, "console")
    offered = actions.offered(case, console, _context(at, DEFAULT_POLICY), "staff")
    return [name for name in offered if name != "public-version"]


def department_actions(
    case: Case, department_id: str, role: Role, now: datetime, policy: SlaPolicy
) -> list[str]:
    actor = Actor(role, department_id)
    return actions.offered(case, actor, _context(now, policy), "department")


def public_version_editable(case: Case) -> bool:
    console = Actor(Role.COORDINATOR, "console")
    at = case.updated_at or case.created_at
    return "public-version" in actions.offered(case, console, _context(at, DEFAULT_POLICY), "staff")
