from __future__ import annotations

from collections.abc import Iterator

import pytest
from chalice.test import Client


@pytest.fixture
def client(aws: None) -> Iterator[Client]:
    from app import app

    with Client(app, stage_name="local") as c:
        yield c
