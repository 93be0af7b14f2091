"""No network at run time: a full assessment with sockets blocked."""

from __future__ import annotations

import socket

import pytest
from conftest import EXAMPLES


class NetworkBlocked(RuntimeError):
    pass


@pytest.fixture
def no_network(monkeypatch):
    attempts = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise NetworkBlocked(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return attempts


@pytest.mark.parametrize("bundle", ["own-work", "unlicensed-unfilled"])
def test_full_assessment_with_sockets_blocked(cli, no_network, bundle):
    result = cli("assess", EXAMPLES / bundle, "-f", "json", "--no-cache")
    assert result.code in (0, 1), result.err
    assert no_network == []
    report = result.json()
    assert report["recommendation"]["overall"] in ("open", "gated")
    assert "plugin.check-failed" not in {f["id"] for f in report["findings"]}
