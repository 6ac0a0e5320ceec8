"""The admin token: accepted only when configured and equal, compared in constant time."""

from __future__ import annotations

import hmac

import pytest

from web.auth import check_admin_token

TOKEN = "s3cret-tåg-🔑"


@pytest.mark.parametrize("provided, expected, ok", [
    (TOKEN, TOKEN, True),
    (TOKEN, None, False),          # no token configured: admin is off
    (TOKEN, "", False),
    ("", "", False),
    (None, TOKEN, False),
    ("", TOKEN, False),
    (TOKEN[:-1], TOKEN, False),    # a prefix
    (TOKEN + "x", TOKEN, False),   # longer
    (TOKEN.upper(), TOKEN, False),
    (" " + TOKEN, TOKEN, False),
    (TOKEN + "\x00", TOKEN, False),
    ("\ud800", TOKEN, False),      # a lone surrogate cannot be encoded: refused, not a crash
])
def test_check_admin_token(provided, expected, ok):
    assert check_admin_token(provided, expected) is ok


def test_comparison_goes_through_hmac_compare_digest(monkeypatch):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert check_admin_token("abc", "abc")
    assert not check_admin_token("abd", "abc")
    assert calls == [(b"abc", b"abc"), (b"abd", b"abc")]
