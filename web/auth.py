"""The admin token check: one place, compared in constant time so timing reveals nothing."""

from __future__ import annotations

import hmac


def check_admin_token(provided: str | None, expected: str | None) -> bool:
    """True only when an admin token is configured and the provided one equals it exactly.

    No configured token means admin features are off: nothing is accepted, not even "".
    Both sides are compared as UTF-8 bytes with hmac.compare_digest, so the time taken
    does not depend on how many leading characters match.
    """
    if not expected or provided is None:
        return False
    try:
        given, wanted = provided.encode("utf-8"), expected.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates from a hostile header: never equal
        return False
    return hmac.compare_digest(given, wanted)
