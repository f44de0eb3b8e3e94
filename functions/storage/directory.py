"""Reference data: the units (handling units and county platforms, §15), staff accounts and
the deployment's taxonomy (districts, categories). Small, read often, changed rarely: cached
in the process for a few minutes."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from functions.domain.platforms import CITY, Platform, TriageMode, platform_of_district
from functions.storage.models import DepartmentModel, SettingModel, StaffModel

_TTL_SECONDS = 300
T = TypeVar("T")


@dataclass(frozen=True)
class Contact:
    name: str = ""
    email: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Department:
    id: str
    name: str
    district: str
    categories: tuple[str, ...] = ()
    handler: Contact = field(default_factory=Contact)
    spokesperson: Contact = field(default_factory=Contact)
    leader: Contact = field(default_factory=Contact)
    # (email, ISO instant) for contact addresses SES reported as bounced or complained.
    unreachable: tuple[tuple[str, str], ...] = ()
    kind: str = "department"  # department | town (乡镇/街道) | enterprise
    platform: str = CITY  # the platform the unit belongs to (§15): the city's or a county's

    def contacts(self) -> dict[str, Contact]:
        return {"handler": self.handler, "spokesperson": self.spokesperson, "leader": self.leader}

    def unreachable_contacts(self) -> list[str]:
        """Which of the current contacts (handler, spokesperson, leader) mail cannot reach.
        A corrected address is reachable again: only the addresses in use count."""
        broken = {email for email, _ in self.unreachable}
        return [
            role for role, c in self.contacts().items() if c.email and c.email.lower() in broken
        ]


@dataclass(frozen=True)
class Taxonomy:
    city_name: str
    platform_name: str
    districts: tuple[tuple[str, str], ...]
    categories: tuple[tuple[str, str], ...]
    # Categories whose 投诉 and 求助 need a place (an address or a point, §13).
    place_categories: frozenset[str] = frozenset()

    def district_label(self, code: str) -> str:
        return dict(self.districts).get(code, code)

    def category_label(self, code: str) -> str:
        return dict(self.categories).get(code, code)


_cache: dict[str, tuple[float, Any]] = {}


def _cached(key: str, load: Any, ttl: float = _TTL_SECONDS) -> Any:
    hit = _cache.get(key)
    if hit and time.monotonic() - hit[0] < ttl:
        return hit[1]
    value = load()
    _cache[key] = (time.monotonic(), value)
    return value


def cached(key: str, load: Callable[[], T], ttl: float = _TTL_SECONDS) -> T:
    """``load()``, kept in this process's reference-data cache for ``ttl`` seconds (other
    settings documents share the cache, so ``clear_cache`` clears them too)."""
    value: T = _cached(key, load, ttl)
    return value


def forget(key: str) -> None:
    _cache.pop(key, None)


def clear_cache() -> None:
    _cache.clear()


def _contact(raw: Any) -> Contact:
    data = raw.as_dict() if hasattr(raw, "as_dict") else dict(raw or {})
    return Contact(data.get("name", ""), data.get("email", ""), data.get("phone", ""))


def _department(m: DepartmentModel, counties: list[Platform]) -> Department:
    county = platform_of_district(counties, m.district)
    return Department(
        m.id,
        m.name,
        m.district,
        tuple(m.categories or ()),
        _contact(m.handler),
        _contact(m.spokesperson),
        _contact(m.leader),
        tuple(sorted(_map(m.unreachable).items())),
        m.kind or "department",
        m.parent or (county.id if county else CITY),
    )


def _platform(m: DepartmentModel) -> Platform:
    return Platform(
        m.id,
        m.name,
        tuple(m.districts or (m.district,)),
        TriageMode(m.triage or TriageMode.COUNTY),
        frozenset(m.city_categories or ()),
    )


def _units() -> tuple[list[DepartmentModel], list[Platform]]:
    """Every active item of the units table, and the county platforms among them: one scan,
    cached, that ``departments()`` and ``platforms()`` share (a read needing both, like the
    ranking, scans once)."""

    def load() -> tuple[list[DepartmentModel], list[Platform]]:
        found = [m for m in DepartmentModel.scan() if m.active]
        return found, [_platform(m) for m in found if m.level == "county"]

    units: tuple[list[DepartmentModel], list[Platform]] = _cached("units", load)
    return units


def _map(raw: Any) -> dict[str, str]:
    data = raw.as_dict() if hasattr(raw, "as_dict") else dict(raw or {})
    return {str(k): str(v) for k, v in data.items()}


def _mark(m: DepartmentModel, address: str, at: str) -> None:
    """Set one key of the department's ``unreachable`` map, keeping the first report: a
    concurrent bounce for another of its addresses writes its own key, so neither is lost."""
    from pynamodb.exceptions import UpdateError

    entry = DepartmentModel.unreachable[address]  # type: ignore[index]
    try:
        m.update(actions=[entry.set(at)], condition=entry.does_not_exist())
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return  # reported first by someone else: their time stands
        # No map on the item yet (written before the attribute existed): create it.
        try:
            m.update(
                actions=[DepartmentModel.unreachable.set({address: at})],
                condition=DepartmentModel.unreachable.does_not_exist(),
            )
        except UpdateError:
            m.update(actions=[entry.set(at)], condition=entry.does_not_exist())


def mark_unreachable(email: str, at: str) -> list[Department]:
    """Record that mail to ``email`` does not arrive, on every department that uses it as a
    contact. The first report's time is kept. Returns the departments concerned."""
    address = email.strip().lower()
    concerned: list[Department] = []
    counties = platforms()
    for m in DepartmentModel.scan():  # tens of items; a bounce is rare
        emails = {_contact(c).email.strip().lower() for c in (m.handler, m.spokesperson, m.leader)}
        if address not in emails:
            continue
        if address not in _map(m.unreachable):
            _mark(m, address, at)
        concerned.append(_department(m, counties))
    _cache.pop("departments", None)
    _cache.pop("units", None)
    return concerned


def departments() -> dict[str, Department]:
    """Every active handling unit (department, town, enterprise) by id, the city's first.
    The table holds tens to hundreds of items: one scan, cached."""

    def load() -> dict[str, Department]:
        items, counties = _units()
        found = [_department(m, counties) for m in items if m.level != "county"]
        return {d.id: d for d in sorted(found, key=lambda d: (d.district != "city", d.id))}

    return dict(_cached("departments", load))


def department(department_id: str) -> Department | None:
    return departments().get(department_id)


def platforms() -> list[Platform]:
    """The county platforms (分平台), by id; cached like the departments."""

    def load() -> list[Platform]:
        return sorted(_units()[1], key=lambda p: p.id)

    return list(_cached("platforms", load))


def platform(platform_id: str) -> Platform | None:
    return next((p for p in platforms() if p.id == platform_id), None)


def put_department(data: dict[str, Any]) -> None:
    try:
        marks = _map(DepartmentModel.get(data["id"]).unreachable)
    except DepartmentModel.DoesNotExist:
        marks = {}
    contacts = [data.get(k) or {} for k in ("handler", "spokesperson", "leader")]
    in_use = {str(c.get("email", "")).strip().lower() for c in contacts}
    DepartmentModel(
        data["id"],
        name=data["name"],
        district=data["district"],
        categories=list(data.get("categories", [])),
        handler=data.get("handler", {}),
        spokesperson=data.get("spokesperson", {}),
        leader=data.get("leader", {}),
        # A broken address stays marked while in use; a corrected one starts clean.
        unreachable={e: at for e, at in marks.items() if e in in_use},
        level=data.get("level", "unit"),
        kind=data.get("kind", "platform" if data.get("level") == "county" else "department"),
        parent=data.get("parent"),
        districts=list(data.get("districts", [])),
        triage=data.get("triage"),
        city_categories=list(data.get("city_categories", [])),
    ).save()
    _cache.pop("departments", None)
    _cache.pop("platforms", None)
    _cache.pop("units", None)


@dataclass(frozen=True)
class StaffAccount:
    email: str
    role: str
    name: str
    county: str | None = None  # a county coordinator's platform (§15)
    title: str | None = None  # a supervisor's public title (§16)
    supervisor_kind: str | None = None


def staff_account(email: str) -> StaffAccount | None:
    try:
        m = StaffModel.get(email.strip().lower())
    except StaffModel.DoesNotExist:
        return None
    if not m.active:
        return None
    return StaffAccount(m.email, m.role, m.name, m.county, m.title, m.supervisor_kind)


def coordinator_emails() -> list[str]:
    """Every active coordinator's address (the central office's inbox for 黄牌/红牌 and
    alerts)."""
    return staff_emails("coordinator")


def admin_emails() -> list[str]:
    """Every active admin's address (the platform's own 受理 ladder tells them at its top)."""
    return staff_emails("admin")


def staff_emails(role: str) -> list[str]:
    """Every active account's address in ``role``. The staff table holds a handful of
    accounts: a cached scan is the right tool."""

    def load() -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for m in StaffModel.scan():
            if m.active:
                found.setdefault(m.role, []).append(m.email)
        return {r: sorted(emails) for r, emails in found.items()}

    return list(_cached("staff-emails", load).get(role, []))


def platform_coordinator_emails(platform_id: str) -> list[str]:
    """The coordinators of the platform ``platform_id`` holds cases for: the city's
    (``coordinator_emails``) or one county platform's."""
    if platform_id == CITY:
        return coordinator_emails()

    def load() -> list[str]:
        return sorted(
            m.email
            for m in StaffModel.scan()
            if m.active and m.role == "county_coordinator" and m.county == platform_id
        )

    return list(_cached(f"coordinators:{platform_id}", load))


def put_staff(
    email: str,
    role: str,
    name: str,
    county: str | None = None,
    *,
    title: str | None = None,
    supervisor_kind: str | None = None,
) -> None:
    StaffModel(
        email.strip().lower(),
        role=role,
        name=name,
        county=county,
        title=title,
        supervisor_kind=supervisor_kind,
    ).save()


def taxonomy() -> Taxonomy:
    def load() -> Taxonomy:
        try:
            value = SettingModel.get("taxonomy").value.as_dict()  # type: ignore[no-untyped-call]
        except SettingModel.DoesNotExist:
            value = {}
        return Taxonomy(
            city_name=value.get("city", {}).get("name", ""),
            platform_name=value.get("city", {}).get("platform_name", "网络问政平台"),
            districts=tuple((d["code"], d["label"]) for d in value.get("districts", [])),
            categories=tuple((c["code"], c["label"]) for c in value.get("categories", [])),
            place_categories=frozenset(
                c["code"] for c in value.get("categories", []) if c.get("needs_place")
            ),
        )

    result: Taxonomy = _cached("taxonomy", load)
    return result


def put_taxonomy(city: dict[str, Any]) -> None:
    SettingModel(
        "taxonomy",
        value={k: city[k] for k in ("city", "districts", "categories")},
    ).save()
    _cache.pop("taxonomy", None)


def put_place_categories(codes: frozenset[str], by: str, at: str) -> dict[str, Any]:
    """Mark the categories whose 投诉 and 求助 need a place (``codes``, each a category of the
    taxonomy; the caller checks) and record who did it when; the rest of the taxonomy is
    left as it is. Answers the stored document."""
    try:
        value = SettingModel.get("taxonomy").value.as_dict()  # type: ignore[no-untyped-call]
    except SettingModel.DoesNotExist:
        value = {"city": {}, "districts": [], "categories": []}
    value["categories"] = [
        {**c, "needs_place": c["code"] in codes} for c in value.get("categories", [])
    ]
    value["place_categories_updated"] = {"by": by, "at": at}
    SettingModel("taxonomy", value=value).save()
    _cache.pop("taxonomy", None)
    stored: dict[str, Any] = value
    return stored


def place_categories_record() -> dict[str, Any]:
    """Who last marked the categories that need a place, and when (empty when never)."""
    try:
        value = SettingModel.get("taxonomy").value.as_dict()  # type: ignore[no-untyped-call]
    except SettingModel.DoesNotExist:
        return {}
    record: dict[str, Any] = value.get("place_categories_updated") or {}
    return record
