"""``python -m infra.local_stack`` as the tests start it (tests/localstack.py): the same stack,
its embedded moto without the costs DynamoDB does not have (tests/quick_moto.py)."""

from __future__ import annotations

import sys

from infra.local_stack import main
from tests.quick_moto import lighter_moto

if __name__ == "__main__":
    lighter_moto()
    sys.exit(main())
