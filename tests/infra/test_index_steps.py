"""A deployed stack whose cases table has the old public-board and audit indexes (the
whole case projected) reaches the new ones (the card; the auditors' filter) through stack
updates that each add or delete one index, as CloudFormation requires, waiting for each to be
ACTIVE; on moto's DynamoDB, with a stand-in for CloudFormation that applies a template's index
change to the table and refuses more than one per update (what CloudFormation does)."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra import index_steps

REGION = "ap-southeast-1"
CARDED = {f"board-{n}" for n in ("all", "state", "kind", "category", "district", "department")}
CARDED.add("unsatisfied")
AUDIT = {"audit-month", "audit-department", "audit-district"}
# The staff's indexes that find cases and no longer hold them (the queue, the desk, 督办).
FINDING = {"queue-created", "queue-due", "desk", "cards"}
CHANGED = CARDED | AUDIT | FINDING


def _templates(slimmed: set[str] = CHANGED) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the template as deployed with the ``slimmed`` indexes holding whole cases, the template
    now): the cases table only."""
    from functions.storage.models import CaseModel
    from infra.template import table_resource

    new = table_resource(CaseModel, "test")
    old = copy.deepcopy(new)
    for index in old["Properties"]["GlobalSecondaryIndexes"]:
        if index["IndexName"] in slimmed:
            index["Projection"] = {"ProjectionType": "ALL"}
    return {"Resources": {"CasesTable": old}}, {"Resources": {"CasesTable": new}}


def _gsi_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], table: str = "CasesTable"
) -> list[str]:
    def indexes(t: Mapping[str, Any]) -> dict[str, str]:
        props = t["Resources"][table]["Properties"]
        return {
            i["IndexName"]: json.dumps(i, sort_keys=True)
            for i in props.get("GlobalSecondaryIndexes", [])
        }

    b, a = indexes(before), indexes(after)
    return [f"delete {n}" for n in b if n not in a or a[n] != b[n]] + [
        f"create {n}" for n in a if n not in b or a[n] != b[n]
    ]


class FakeCloudFormation:
    """CloudFormation as its documentation and roadmap#881 tell: it compares the template with
    the stack's previous template, applies one index create or delete to the table per update,
    and fails an update with more."""

    def __init__(self, dynamodb: Any, deployed: dict[str, Any], table: str = "CasesTable") -> None:
        self.dynamodb, self.deployed, self.stored = dynamodb, deployed, {}
        self.table = table
        self.updates: list[str] = []

    def get_template(self, StackName: str, TemplateStage: str) -> dict[str, Any]:
        return {"TemplateBody": json.dumps(self.deployed)}

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        return {"Stacks": [{"Parameters": [{"ParameterKey": "DomainName"}]}]}

    def update_stack(self, **kwargs: Any) -> None:
        assert kwargs["Parameters"] == [{"ParameterKey": "DomainName", "UsePreviousValue": True}]
        template = self.stored[kwargs["TemplateURL"]]
        changes = _gsi_changes(self.deployed, template, self.table)
        if len(changes) > 1:
            raise AssertionError("Cannot perform more than one GSI creation or deletion")
        props = template["Resources"][self.table]["Properties"]
        for change in changes:
            verb, name = change.split()
            if verb == "delete":
                update: dict[str, Any] = {"Delete": {"IndexName": name}}
            else:
                index = next(i for i in props["GlobalSecondaryIndexes"] if i["IndexName"] == name)
                update = {"Create": index}
            self.dynamodb.update_table(
                TableName=props["TableName"],
                AttributeDefinitions=props["AttributeDefinitions"],
                GlobalSecondaryIndexUpdates=[update],
            )
        self.updates += changes
        self.deployed = template


@pytest.fixture()
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("dynamodb", region_name=REGION)


def test_each_step_changes_one_index_and_the_last_is_the_template() -> None:
    old, new = _templates()
    plan = index_steps.plan(old, new)
    assert len(plan) == 2 * len(CHANGED)  # each index deleted, then made again
    # From a stack that has the cards and the audit projections already: the staff's four.
    changes = [change for _, change, _ in index_steps.plan(_templates(FINDING)[0], new)]
    assert sorted(changes[:4]) == [f"delete {n}" for n in sorted(FINDING)]
    assert sorted(changes[4:]) == [f"create {n}" for n in sorted(FINDING)]
    before = old
    for _, change, template in plan:
        assert _gsi_changes(before, template) == [change]
        before = template
    assert before == new
    assert index_steps.plan(new, new) == []
    # DynamoDB's limit: 100 projected non-key attributes over all of a table's indexes.
    props = new["Resources"]["CasesTable"]["Properties"]
    projected = [
        a
        for i in props["GlobalSecondaryIndexes"]
        for a in i["Projection"].get("NonKeyAttributes", [])
    ]
    assert 0 < len(projected) <= 100


def test_a_table_with_the_old_indexes_gets_the_cards_one_index_at_a_time(dynamodb: Any) -> None:
    old, new = _templates()
    props = old["Resources"]["CasesTable"]["Properties"]
    dynamodb.create_table(
        TableName=props["TableName"],
        AttributeDefinitions=props["AttributeDefinitions"],
        KeySchema=props["KeySchema"],
        GlobalSecondaryIndexes=props["GlobalSecondaryIndexes"],
        BillingMode="PAY_PER_REQUEST",
    )
    cfn = FakeCloudFormation(dynamodb, old)
    said: list[str] = []

    def put(template: Mapping[str, Any]) -> str:
        url = f"https://bucket/{len(cfn.stored)}/template.json"
        cfn.stored[url] = copy.deepcopy(dict(template))
        return url

    made = index_steps.run(
        cfn,
        dynamodb,
        "wenzheng-test",
        new,
        put_template=put,
        wait_stack=lambda: None,
        say=said.append,
        delay=0,
    )
    assert made == 28 and len(cfn.updates) == 28 and "28 stack update(s)" in said[0]
    table = dynamodb.describe_table(TableName=props["TableName"])["Table"]
    found = {i["IndexName"]: i["Projection"] for i in table["GlobalSecondaryIndexes"]}
    assert len(found) == 20
    assert found["board-all"]["ProjectionType"] == "INCLUDE"
    assert set(found["board-all"]["NonKeyAttributes"]) == {
        "pub_card",
        "pub_state",
        "pub_kind",
        "pub_category",
        "pub_district",
        "pub_department",
    }
    assert set(found["unsatisfied"]["NonKeyAttributes"]) >= {"pub_card", "pub_rounds"}
    for name in AUDIT:  # the auditors' filter, not the case
        assert found[name]["ProjectionType"] == "INCLUDE"
        assert {"state", "breaches", "rating"} <= set(found[name]["NonKeyAttributes"])
        assert "content" not in found[name]["NonKeyAttributes"]
    # The staff's indexes find cases: keys and what their queries filter on.
    assert found["desk"] == {"ProjectionType": "KEYS_ONLY"}
    assert set(found["queue-created"]["NonKeyAttributes"]) == {
        "state",
        "kind",
        "category",
        "district",
        "lead_id",
        "pending",
        "attention",
        "holder",
        "merged_complaints",
    }
    assert set(found["queue-due"]["NonKeyAttributes"]) == {
        *found["queue-created"]["NonKeyAttributes"],
        "escalated",
    }
    assert set(found["cards"]["NonKeyAttributes"]) == {"pub_all", "lead_id", "holder", "district"}
    assert all(p["ProjectionType"] != "ALL" for n, p in found.items() if n in CARDED | FINDING), (
        found
    )
    # Run again: the stack is where the template is; nothing to do.
    assert (
        index_steps.run(
            cfn, dynamodb, "wenzheng-test", new, put_template=put, wait_stack=lambda: None, delay=0
        )
        == 0
    )

    # The board answers from the card: the index holds the card and the filters, not the case.
    item = {
        "case_id": {"S": "WZ1"},
        "created_key": {"S": "2026-12-01T00:00:00Z#WZ1"},
        "pub_all": {"S": "1"},
        "pub_state": {"S": "accepted"},
        "pub_card": {"S": '{"v":1}'},
        "content": {"S": "the whole text"},
        "contact": {"M": {"phone": {"S": "13800000000"}}},
    }
    dynamodb.put_item(TableName=props["TableName"], Item=item)
    rows = dynamodb.query(
        TableName=props["TableName"],
        IndexName="board-all",
        KeyConditionExpression="pub_all = :one",
        ExpressionAttributeValues={":one": {"S": "1"}},
    )["Items"]
    assert [sorted(r) for r in rows] == [
        ["case_id", "created_key", "pub_all", "pub_card", "pub_state"]
    ]


def test_a_board_query_while_its_index_is_rebuilt_is_unavailable_not_a_bug() -> None:
    """Between an index's delete and the end of its backfill, a Query of it is refused with a
    ValidationException: the board answers 503 (try again), not 500."""
    from botocore.exceptions import ClientError

    from functions.storage import failures

    def refused(message: str) -> ClientError:
        error = {"Error": {"Code": "ValidationException", "Message": message}}
        return ClientError(error, "Query")  # type: ignore[arg-type]

    assert failures.unavailable(refused("The table does not have the specified index: board-all"))
    assert failures.unavailable(refused("Cannot read from backfilling global secondary index: x"))
    assert failures.unavailable(refused("One or more parameter values were invalid")) is None


def test_the_outbox_due_index_is_remade_with_what_the_job_needs_in_two_steps(
    dynamodb: Any,
) -> None:
    """The outbox's ``due`` index, deployed projecting the whole message, is deleted and made
    again holding only what the outbox job needs to choose and lease a message; ``dead`` and
    ``receipts`` (their readers list or query whole messages) are left as they are."""
    from functions.storage.models import DUE_PROJECTION, OutboxModel
    from infra.template import table_resource

    new_table = table_resource(OutboxModel, "test")
    old_table = copy.deepcopy(new_table)
    for index in old_table["Properties"]["GlobalSecondaryIndexes"]:
        if index["IndexName"] == "due":
            index["Projection"] = {"ProjectionType": "ALL"}
    old, new = {"Resources": {"OutboxTable": old_table}}, {"Resources": {"OutboxTable": new_table}}
    plan = index_steps.plan(old, new)
    assert [(table, change) for table, change, _ in plan] == [
        ("OutboxTable", "delete due"),
        ("OutboxTable", "create due"),
    ]
    assert plan[-1][2] == new

    props = old_table["Properties"]
    dynamodb.create_table(
        TableName=props["TableName"],
        AttributeDefinitions=props["AttributeDefinitions"],
        KeySchema=props["KeySchema"],
        GlobalSecondaryIndexes=props["GlobalSecondaryIndexes"],
        BillingMode="PAY_PER_REQUEST",
    )
    cfn = FakeCloudFormation(dynamodb, old, table="OutboxTable")

    def put(template: Mapping[str, Any]) -> str:
        url = f"https://bucket/{len(cfn.stored)}/template.json"
        cfn.stored[url] = copy.deepcopy(dict(template))
        return url

    made = index_steps.run(
        cfn, dynamodb, "wenzheng-test", new, put_template=put, wait_stack=lambda: None, delay=0
    )
    assert made == 2 and cfn.updates == ["delete due", "create due"]
    table = dynamodb.describe_table(TableName=props["TableName"])["Table"]
    found = {i["IndexName"]: i["Projection"] for i in table["GlobalSecondaryIndexes"]}
    assert found["due"]["ProjectionType"] == "INCLUDE"
    assert set(found["due"]["NonKeyAttributes"]) == set(DUE_PROJECTION)
    assert {"body", "recipient", "subject", "lease_until"}.isdisjoint(DUE_PROJECTION)
    assert found["dead"] == found["receipts"] == {"ProjectionType": "ALL"}

    # A due message's entry: its keys and what the job needs, not its text.
    item = {
        "message_id": {"S": "0" * 32},
        "due_shard": {"S": "0"},
        "next_attempt_at": {"S": "2026-12-01T00:00:00Z"},
        "channel": {"S": "email"},
        "attempts": {"N": "0"},
        "template": {"S": "accepted"},
        "created_at": {"S": "2026-12-01T00:00:00.000000+0000"},
        "recipient": {"S": "citizen@example.org"},
        "body": {"S": "the whole text"},
    }
    dynamodb.put_item(TableName=props["TableName"], Item=item)
    rows = dynamodb.query(
        TableName=props["TableName"],
        IndexName="due",
        KeyConditionExpression="due_shard = :zero",
        ExpressionAttributeValues={":zero": {"S": "0"}},
    )["Items"]
    assert [sorted(r) for r in rows] == [
        sorted(["message_id", "due_shard", "next_attempt_at", *DUE_PROJECTION])
    ]
