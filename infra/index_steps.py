"""Changing a table's global secondary indexes on a deployed stack, one index at a time.

CloudFormation's ``AWS::DynamoDB::Table`` adds or deletes **one** global secondary index per
stack update ("You can delete or add one global secondary index without interruption. If you
do both in the same update (for example, by changing the index's logical ID), the update
fails"; an index's ``IndexName``, ``KeySchema`` and ``Projection`` cannot be updated in place),
and it compares the new template with the stack's previous template, not with the table
(aws-cloudformation/cloudformation-coverage-roadmap#881): an index changed by hand
beforehand does not help. Nor does CloudFormation wait for a new index to fill ("CloudFormation
initiates the index creation and then proceeds"; the table cannot be updated again until the
index is ``ACTIVE``).

So when the template changes more than one index of a table (a projection changed is a delete
and a create), ``make deploy`` first walks the stack there in steps (``steps``): the deployed
template with that table's indexes changed by one delete or one create, a stack update for each
(every parameter its previous value, every other resource as deployed), waiting after each
for the table and its indexes to be ``ACTIVE`` (a new index's backfill). The deploy's own change
set then finds the indexes as the template has them. docs/OPERATIONS.md, "Changing an index".
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

Say = Callable[[str], None]
TABLE = "AWS::DynamoDB::Table"


def _definition(index: Mapping[str, Any]) -> str:
    """What makes two indexes of one name the same index (the order of projected names aside)."""
    projection = dict(index.get("Projection", {}))
    if "NonKeyAttributes" in projection:
        projection["NonKeyAttributes"] = sorted(projection["NonKeyAttributes"])
    return json.dumps([index.get("KeySchema"), projection], sort_keys=True)


def steps(
    deployed: list[Mapping[str, Any]], wanted: list[Mapping[str, Any]]
) -> list[list[dict[str, Any]]]:
    """The index lists from ``deployed`` to ``wanted``, each one delete or one create from the
    one before (the last equals ``wanted``, in its order); [] when nothing changes. Deletes
    come first: a table holds at most 20 indexes."""
    want: dict[str, dict[str, Any]] = {i["IndexName"]: dict(i) for i in wanted}
    have: dict[str, dict[str, Any]] = {i["IndexName"]: dict(i) for i in deployed}
    current = [dict(i) for i in deployed]
    out: list[list[dict[str, Any]]] = []
    for name, index in have.items():
        if name not in want or _definition(index) != _definition(want[name]):
            current = [i for i in current if i["IndexName"] != name]
            out.append(list(current))
    for wanted_index in wanted:
        name = wanted_index["IndexName"]
        if name not in have or _definition(have[name]) != _definition(wanted_index):
            current = [*current, dict(wanted_index)]
            out.append(list(current))
    if out:
        order = [i["IndexName"] for i in wanted]
        out[-1] = sorted(out[-1], key=lambda i: order.index(i["IndexName"]))
    return out


def _with_indexes(
    resource: Mapping[str, Any], indexes: list[dict[str, Any]], types: Mapping[str, str]
) -> dict[str, Any]:
    """The table resource with these indexes, and the attribute definitions their keys and the
    table's need (CloudFormation refuses a definition that no key uses)."""
    out = copy.deepcopy(dict(resource))
    props = out["Properties"]
    used = {k["AttributeName"] for k in props["KeySchema"]}
    used |= {k["AttributeName"] for i in indexes for k in i["KeySchema"]}
    props["AttributeDefinitions"] = [
        {"AttributeName": n, "AttributeType": types[n]} for n in sorted(used)
    ]
    if indexes:
        props["GlobalSecondaryIndexes"] = indexes
    else:
        props.pop("GlobalSecondaryIndexes", None)
    return out


def plan(
    deployed: Mapping[str, Any], wanted: Mapping[str, Any]
) -> list[tuple[str, str, dict[str, Any]]]:
    """The stack updates that take ``deployed``'s tables to ``wanted``'s indexes one index at
    a time: (table's logical id, what the step does, the whole template of that step). Tables
    whose indexes change by at most one are left to the deploy's own change set."""
    template = copy.deepcopy(dict(deployed))
    out: list[tuple[str, str, dict[str, Any]]] = []
    for logical_id, resource in wanted.get("Resources", {}).items():
        before = template.get("Resources", {}).get(logical_id)
        if resource.get("Type") != TABLE or not before or before.get("Type") != TABLE:
            continue
        old = before["Properties"].get("GlobalSecondaryIndexes", [])
        new = resource["Properties"].get("GlobalSecondaryIndexes", [])
        walk = steps(old, new)
        if len(walk) <= 1:
            continue
        types = {
            d["AttributeName"]: d["AttributeType"]
            for props in (before["Properties"], resource["Properties"])
            for d in props["AttributeDefinitions"]
        }
        previous = {i["IndexName"] for i in old}
        for indexes in walk:
            names = {i["IndexName"] for i in indexes}
            change = (
                f"delete {''.join(previous - names)}"
                if previous - names
                else f"create {''.join(names - previous)}"
            )
            previous = names
            template = copy.deepcopy(template)
            template["Resources"][logical_id] = _with_indexes(before, indexes, types)
            out.append((logical_id, change, template))
    return out


def wait_active(dynamodb: Any, table: str, *, delay: float = 20, timeout: float = 86400) -> None:
    """Until the table and every index of it are ``ACTIVE`` (a new index has filled)."""
    deadline = time.monotonic() + timeout
    while True:
        described = dynamodb.describe_table(TableName=table)["Table"]
        indexes = described.get("GlobalSecondaryIndexes", [])
        if described["TableStatus"] == "ACTIVE" and all(
            i.get("IndexStatus", "ACTIVE") == "ACTIVE" for i in indexes
        ):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{table} is not ACTIVE after {timeout:.0f} s")
        time.sleep(delay)


def run(
    cfn: Any,
    dynamodb: Any,
    stack: str,
    wanted: Mapping[str, Any],
    *,
    put_template: Callable[[Mapping[str, Any]], str],
    wait_stack: Callable[[], None],
    say: Say = print,
    delay: float = 20,
) -> int:
    """Walk the deployed stack ``stack`` to ``wanted``'s indexes (``plan``); returns how many
    stack updates it made. ``put_template`` stores a template and returns its URL."""
    original = cfn.get_template(StackName=stack, TemplateStage="Original")["TemplateBody"]
    deployed = json.loads(original) if isinstance(original, str) else original
    steps_ = plan(deployed, wanted)
    if steps_:
        say(f"indexes: {len(steps_)} stack update(s) first, one index each (docs/OPERATIONS.md)")
    parameters = [
        {"ParameterKey": p["ParameterKey"], "UsePreviousValue": True}
        for p in cfn.describe_stacks(StackName=stack)["Stacks"][0].get("Parameters", [])
    ]
    for n, (logical_id, change, template) in enumerate(steps_, start=1):
        table = template["Resources"][logical_id]["Properties"]["TableName"]
        say(f"  {n}/{len(steps_)} {table}: {change}")
        cfn.update_stack(
            StackName=stack,
            TemplateURL=put_template(template),
            Parameters=parameters,
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        )
        wait_stack()
        wait_active(dynamodb, table, delay=delay)
    return len(steps_)
