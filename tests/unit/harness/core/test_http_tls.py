"""harness.core.http_tls: the server's handshake steps forward with what has arrived and never
waits; plain HTTP on the TLS port is told apart from other failures."""

from __future__ import annotations

import select
import socket
import ssl
import threading
from collections.abc import Iterator

import pytest

from harness.core import tls
from harness.core.http_tls import DONE, FAILED, MORE, PLAIN, TLSAdapter, handshake, handshake_nowait


@pytest.fixture(scope="module")
def contexts(tmp_path_factory) -> tuple[TLSAdapter, ssl.SSLContext]:
    material = tls.ensure(tmp_path_factory.mktemp("tls"))
    return TLSAdapter(str(material.cert), str(material.key)), ssl.create_default_context(cafile=str(material.ca_cert))


@pytest.fixture
def pair(contexts) -> Iterator[tuple[socket.socket, ssl.SSLSocket]]:
    adapter, _ = contexts
    client, served = socket.socketpair()
    client.settimeout(10)
    wrapped, _env = adapter.wrap(served)
    wrapped.settimeout(30)
    yield client, wrapped
    client.close()
    wrapped.close()


def test_nothing_yet_wants_more_without_waiting(pair) -> None:
    _, served = pair
    assert handshake_nowait(served) == MORE
    assert served.gettimeout() == 30  # the worker's timeout is left as it was


def test_a_real_client_is_shaken_hands_with_step_by_step(pair, contexts) -> None:
    client, served = pair
    _, client_ctx = contexts
    done = threading.Event()

    def shake() -> None:
        with client_ctx.wrap_socket(client, server_hostname="127.0.0.1", do_handshake_on_connect=False) as c:
            c.do_handshake()
            c.sendall(b"GET / HTTP/1.1\r\n\r\n")
            done.wait(10)
            c.detach()

    thread = threading.Thread(target=shake)
    thread.start()
    try:
        steps = []
        while (step := handshake_nowait(served)) == MORE and len(steps) < 100:
            steps.append(step)
            select.select([served], [], [], 10)
        assert step == DONE and len(steps) < 100
        assert served.recv(100) == b"GET / HTTP/1.1\r\n\r\n"
    finally:
        done.set()
        thread.join(10)


@pytest.mark.parametrize(
    "first, expected",
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", PLAIN),  # the worker answers it with a plain 400
        (b"\x16\x03\x01\x00\x05garbage-that-is-no-hello", FAILED),
    ],
)
def test_what_is_not_a_handshake(pair, first: bytes, expected: str) -> None:
    client, served = pair
    client.sendall(first)
    assert handshake_nowait(served) == expected


def test_a_worker_finishing_a_handshake_stops_at_the_deadline(pair) -> None:
    """`handshake` (the worker's, when the selector could not write): half a ClientHello, then
    nothing, ends at the deadline (here already past), not after the socket's 30 s timeout."""
    client, served = pair
    client.sendall(b"\x16\x03\x01\x02\x00\x01")
    assert handshake(served, 0.0) is False  # a monotonic deadline long past
    assert served.gettimeout() == 30


def test_a_worker_answers_plain_http_with_its_400(pair) -> None:
    client, served = pair
    client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    client.shutdown(socket.SHUT_WR)  # so that the answer's drain ends at once
    assert handshake(served, float("inf")) is False
    answer = client.recv(65536)
    assert answer.startswith(b"HTTP/1.1 400 ") and b"X-SAML-Reason: bad-request" in answer
