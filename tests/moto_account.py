"""One mocked AWS account for the test process: the platform's tables, the export bucket and
the sender identity, made once and put back to that state in place before each test that
asks for them (the ``aws`` fixtures).

Making the account afresh (moto's reset, then ~20 tables with their indexes) took a quarter
of a second a test; emptying it takes milliseconds. What a test finds is the same either way:
every platform table empty, no other table or backup, SES, SNS and S3 as new (the bucket and
the sender identity made again), the KMS key that seals the TOTP secrets as made, moto's
record of the objects it made cleared. Between tests the mock is off (as between
``with mock_aws():`` blocks), so nothing outside these fixtures reaches it; a test that starts
a ``mock_aws()`` of its own resets moto, and the tables are made again the next time they are
asked for.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto import mock_aws

# boto3's default session is kept across tests (moto replaces it at each start by default): a
# new session loads the service models again, a tenth of a second for each client a test makes.
_mock = mock_aws(config={"core": {"reset_boto3_session": False}})
# Kept between tests like the tables: the KMS key that seals the TOTP secrets, made once (a
# key and its alias; no test changes them).
KEPT = frozenset({"dynamodb", "kms"})


@contextmanager
def account() -> Iterator[None]:
    """The mock on for the block, the account as new at its start."""
    _mock.start(reset=False)
    try:
        fresh()
        yield
    finally:
        _mock.stop(remove_data=False)


def fresh() -> None:
    """Put the (active) account back as new: the platform's tables empty, everything else
    reset; the platform's cached clients and directory forgotten."""
    from moto.core.base_backend import BackendDict
    from moto.core.model_instances import reset_model_data

    from functions.notify import adapter
    from functions.storage import directory
    from infra import bootstrap

    dynamodb = _dynamodb()
    names = _table_names()
    if not names <= set(dynamodb.tables):
        _mock.reset()
        bootstrap.create_tables()
        dynamodb = _dynamodb()
    for name in list(dynamodb.tables):
        if name in names:
            dynamodb.tables[name].items.clear()
        else:
            del dynamodb.tables[name]
    dynamodb.backups.clear()
    for backends in list(BackendDict._instances):  # type: ignore[misc]
        if backends.service_name not in KEPT:
            for per_account in backends.values():
                per_account.reset()
    reset_model_data()
    adapter.reset_clients()
    directory.clear_cache()
    bootstrap.create_export_bucket()
    bootstrap.create_uploads_bucket()
    bootstrap.verify_sender()
    if not _has_totp_key():
        bootstrap.create_totp_key()


def _has_totp_key() -> bool:
    from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]
    from moto.kms.models import kms_backends

    from functions.settings import settings

    backend = kms_backends[DEFAULT_ACCOUNT_ID][settings().region]
    return bool(backend.alias_exists(settings().totp_key))


def _table_names() -> set[str]:
    from functions.storage.models import ALL_MODELS

    return {m.Meta.table_name for m in ALL_MODELS}


def _dynamodb() -> Any:
    from moto.core import DEFAULT_ACCOUNT_ID  # type: ignore[attr-defined]
    from moto.dynamodb.models import dynamodb_backends

    from functions.settings import settings

    return dynamodb_backends[DEFAULT_ACCOUNT_ID][settings().region]
