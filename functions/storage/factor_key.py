"""The staff TOTP secrets, sealed by KMS (moto locally): the only code that calls KMS.

A secret is stored as ``kms:<base64 ciphertext>``, encrypted under the deployment's own
symmetric key (``WZ_TOTP_KEY``: infra/template.py ``TotpKey``, whose Encrypt and Decrypt only
the API function's role is granted) with an encryption context that binds it to its account
(``purpose: staff-totp``, ``staff: <email>``): a sealed secret copied onto another account's
item does not open there, and CloudTrail logs each use with the account it was for. Whoever
reads the staff table (a backup, an export) reads no secret.

On the sign-in path: enrolment seals once (Encrypt) and its first code opens it once (Decrypt);
each later code opens it once (Decrypt); a recovery code never calls KMS. A secret stored in
the clear before sealing existed (a base32 string) still opens, and the next sign-in with a
code seals it (one Encrypt, once)."""

from __future__ import annotations

import base64
from functools import cache
from typing import Any

from functions.settings import settings

PREFIX = "kms:"
PURPOSE = "staff-totp"


class Unreadable(Exception):
    """A sealed secret that does not open for its account (another account's ciphertext, a
    damaged value, or another key's)."""


class KeyUnusable(Exception):
    """The key cannot be used now: disabled, pending deletion, or not granted to this function
    (an operator's matter, not the account's: the sign-in is answered 503)."""


# KMS's answers that say so (a throttled or failing KMS is a transient failure as any AWS
# dependency's: functions/storage/failures.py).
_UNUSABLE = frozenset(
    {
        "DisabledException",
        "KMSInvalidStateException",
        "KeyUnavailableException",
        "AccessDeniedException",
        "NotFoundException",  # sealing with a key that no longer exists
    }
)


def _unusable(error: Exception) -> KeyUnusable | None:
    from botocore.exceptions import ClientError

    if isinstance(error, ClientError) and error.response.get("Error", {}).get("Code") in _UNUSABLE:
        return KeyUnusable(str(error.response["Error"]["Code"]))
    return None


@cache
def _client() -> Any:
    import boto3  # only the API function seals or opens a secret
    from botocore.config import Config

    config = Config(connect_timeout=3, read_timeout=5, retries={"max_attempts": 2})
    return boto3.client("kms", region_name=settings().region, config=config)


def reset() -> None:
    """Forget the client (tests; a changed region or endpoint)."""
    _client.cache_clear()


def _context(email: str) -> dict[str, str]:
    return {"purpose": PURPOSE, "staff": email}


def sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


def seal(secret: str, email: str) -> str:
    """The stored form of ``email``'s TOTP secret."""
    try:
        answer = _client().encrypt(
            KeyId=settings().totp_key,
            Plaintext=secret.encode("ascii"),
            EncryptionContext=_context(email),
        )
    except Exception as error:
        unusable = _unusable(error)
        if unusable is not None:
            raise unusable from error
        raise
    return PREFIX + base64.b64encode(answer["CiphertextBlob"]).decode("ascii")


def unseal(stored: str, email: str) -> str:
    """The secret ``stored`` holds for ``email`` (a secret stored in the clear before sealing
    existed is returned as it is, without a call)."""
    if not sealed(stored):
        return stored
    client = _client()
    try:
        blob = base64.b64decode(stored[len(PREFIX) :], validate=True)
        answer = client.decrypt(
            KeyId=settings().totp_key, CiphertextBlob=blob, EncryptionContext=_context(email)
        )
    except (
        ValueError,
        client.exceptions.InvalidCiphertextException,
        client.exceptions.IncorrectKeyException,
        client.exceptions.NotFoundException,  # its key deleted (locally: a restarted moto)
    ) as error:
        raise Unreadable("the stored second factor does not open for its account") from error
    except Exception as error:
        unusable = _unusable(error)
        if unusable is not None:
            raise unusable from error
        raise
    return bytes(answer["Plaintext"]).decode("ascii")
