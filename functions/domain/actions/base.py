"""What an action module declares (functions/domain/actions/<action>.py): one lifecycle action
with its table row, its rule of availability, its events, notices and route, and the pure
function that takes it. The registry (``functions.domain.actions``) gathers the modules; the
transition table, the routes, the action lists the views send, the API document and
``GET /api/lifecycle`` are all derived from it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from functions.domain.errors import Conflict, Forbidden
from functions.domain.lifecycle import STATE_LABELS, Role, State

if TYPE_CHECKING:
    from functions.domain.cases import Actor, Case, DeadlineRules, DepartmentRef, TransitionResult
    from functions.domain.photos import Photo


def _no_photos(upload_ids: list[str]) -> list[Photo]:
    from functions.domain.errors import invalid_field

    raise invalid_field("photos", "此处不能添加照片", "photos cannot be attached here")


def _no_other_case(case_id: str, field_name: str) -> Case:
    from functions.domain.errors import invalid_field

    raise invalid_field(field_name, "此处不能引用其他诉求", "no other case here")


# Who reaches an action's route: staff behind a session, a department behind its magic link,
# the citizen with the tracking code; "system" actions run only in scheduled jobs.
Audience = Literal["staff", "department", "citizen", "system"]


@dataclass(frozen=True)
class EventKind:
    """An event type a module's actions write: its name (stored on every event), its label on
    timelines, and whether the public sees it on a public case."""

    type: str
    label: str
    public: bool = False


@dataclass(frozen=True)
class Route:
    """Where the action is taken over HTTP: ``POST`` on the audience's path with ``suffix``
    (staff: ``/api/staff/cases/{case_id}/<suffix>``, department: ``/api/handle/<suffix>``,
    citizen: ``/api/cases/{case_id}/<suffix>``), its body checked against ``schemas/<schema>``.
    ``summary`` and ``description`` are its entry in the API document."""

    audience: Audience
    suffix: str
    schema: str
    summary: str
    description: str = ""


@dataclass(frozen=True)
class Context:
    """What an action's function may consult besides the case: the time, the deadline rules,
    and the directory's answer for a department id (a 400 naming ``field`` when unknown), and
    the upload slots a body's ``photos`` names. The service layer builds it; the domain never
    reaches storage."""

    now: datetime
    rules: DeadlineRules
    department: Callable[[str, str], DepartmentRef] = field(repr=False)
    known_category: Callable[[str], bool] = field(repr=False, default=lambda _: True)
    known_district: Callable[[str], bool] = field(repr=False, default=lambda _: True)
    # The uploads ``photos`` names, as photos to attach (a 400 naming ``photos`` for an
    # unknown, used or refused upload); the service attaches them in the change's transaction.
    attach_photos: Callable[[list[str]], list[Photo]] = field(repr=False, default=_no_photos)
    # Another case by id, for an action that changes two (并件): a 400 naming ``field`` when
    # there is no such case.
    case_of: Callable[[str, str], Case] = field(repr=False, default=_no_other_case)
    # 1+8+N (§15): a county platform by unit id (None: not a platform), and the platform a
    # handling unit belongs to (the city's or a county's).
    platform: Callable[[str], DepartmentRef | None] = field(repr=False, default=lambda _: None)
    unit_platform: Callable[[str], str] = field(repr=False, default=lambda _: "city")
    # 直接答复 (§16): whether a 知识库 entry exists and is not retired.
    known_kb: Callable[[str], bool] = field(repr=False, default=lambda _: False)


Runner = Callable[["Case", "Actor", Mapping[str, Any], Context], "TransitionResult"]
Availability = Callable[["Case", "Actor", Context], bool]


@dataclass(frozen=True)
class ActionDef:
    name: str
    label: str
    sources: frozenset[State]
    targets: frozenset[State]  # a target equal to the source means "stays"
    actors: frozenset[Role]
    events: tuple[EventKind, ...] = ()
    notices: tuple[str, ...] = ()  # the templates of functions/notify/templates.py it sends
    route: Route | None = None
    run: Runner | None = field(default=None, repr=False)
    # Beyond the table (state and role): whether the actor may take it on this case now.
    available: Availability | None = field(default=None, repr=False)
    order: int = 100  # where its form sits among the others

    def check(self, state: State, role: Role) -> None:
        """Raise unless ``role`` may take this action on a case in ``state``."""
        if role not in self.actors:
            raise Forbidden("无权执行此操作", f"{role} may not {self.name}", "forbidden")
        if state not in self.sources:
            raise Conflict(
                f"案件当前状态为“{STATE_LABELS[state]}”，不能执行此操作",
                f"cannot {self.name} a case in state {state}",
                "invalid_transition",
            )

    def allowed(self, state: State, role: Role) -> bool:
        return role in self.actors and state in self.sources

    def offered(self, case: Case, actor: Actor, ctx: Context) -> bool:
        """Whether the actor's page offers this action on the case now."""
        return self.allowed(case.state, actor.role) and (
            self.available is None or self.available(case, actor, ctx)
        )


def require_own_units(
    ctx: Context, actor: Actor, lead: DepartmentRef | None, co_handlers: list[DepartmentRef]
) -> None:
    """A county coordinator (``actor.scope``) assigns and reassigns only to units of their
    own platform (§15): a 400 naming the field of a unit that is not."""
    if actor.scope is None:
        return
    from functions.domain.errors import invalid_field

    named = [("lead", lead)] if lead else []
    for name, unit in [*named, *(("co_handlers", c) for c in co_handlers)]:
        if ctx.unit_platform(unit.id) != actor.scope:
            raise invalid_field(name, f"{unit.name}不属于本县（区）平台", "not a county unit")


def states(*names: State) -> frozenset[State]:
    return frozenset(names)


# The city's coordinators and, scoped to their platform's cases by the service (§15), the
# county platforms'.
COORDINATORS = frozenset({Role.COORDINATOR, Role.COUNTY_COORDINATOR, Role.ADMIN})
