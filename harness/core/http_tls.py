"""TLS for the embedded server: the handshake is shaken in cheroot's selector thread without
waiting (http_heads.gather), never in its accept loop, and plain HTTP on the TLS port gets a
plain 400 with its reason."""

from __future__ import annotations

import select
import socket
import ssl
import time

from cheroot.ssl.builtin import BuiltinSSLAdapter

from harness.core.http_glue import readable, refusal
from sp.contract import Reason

DONE, MORE, FAILED, WORKER, PLAIN = "done", "more", "failed", "worker", "plain"  # `handshake_nowait`'s

PLAIN_HTTP_ON_TLS = refusal("400 Bad Request", Reason.BAD_REQUEST, "This port speaks HTTPS: use an https:// URL.")


class TLSAdapter(BuiltinSSLAdapter):
    """cheroot shakes hands in its accept loop: one client that connects and stays silent
    stalls every new connection for the whole timeout. Here the socket is only wrapped there;
    the handshake is `handshake_nowait`'s, as the connection's bytes arrive."""

    def wrap(self, sock: socket.socket) -> tuple[ssl.SSLSocket, dict]:
        tls = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return tls, {"wsgi.url_scheme": "https", "HTTPS": "on"}


def handshake_nowait(sock: ssl.SSLSocket) -> str:
    """One step of the server's handshake with what has arrived, never waiting: DONE; MORE bytes
    wanted; FAILED; WORKER: it must write and cannot now (`handshake` finishes it);
    PLAIN: the client spoke plain HTTP (`answer_plain_http`). Those two may wait: a worker's job."""
    timeout = sock.gettimeout()
    sock.settimeout(0)
    try:
        sock.do_handshake()
    except ssl.SSLWantReadError:
        return MORE
    except ssl.SSLWantWriteError:
        return WORKER
    except ssl.SSLError as err:
        return PLAIN if _plain_http(err) else FAILED
    except OSError:
        return FAILED
    finally:
        sock.settimeout(timeout)
    return DONE


def handshake(sock: ssl.SSLSocket, deadline: float) -> bool:
    """The rest of the handshake, waiting for the client within the socket's timeout per wait
    and until `deadline` (monotonic) in all: a client trickling its ClientHello a byte at a
    time is cut off there. Whether it succeeded; a client that spoke plain HTTP gets its 400."""
    timeout = sock.gettimeout()
    sock.setblocking(False)
    try:
        while True:
            try:
                sock.do_handshake()
                return True
            except ssl.SSLWantReadError:
                events = select.POLLIN
            except ssl.SSLWantWriteError:
                events = select.POLLOUT
            except AttributeError:  # stop() shut the socket under this worker: ssl dropped its TLS object
                return False
            wait = deadline - time.monotonic() if timeout is None else min(timeout, deadline - time.monotonic())
            if wait <= 0 or not readable(sock, wait, events):
                return False
    except ssl.SSLError as err:
        if _plain_http(err):
            answer_plain_http(sock)
        return False
    except OSError:
        return False
    finally:
        sock.settimeout(timeout)


def _plain_http(err: ssl.SSLError) -> bool:
    return "http request" in str(err).lower()


def answer_plain_http(sock: ssl.SSLSocket) -> None:
    """The plain 400 on a socket whose TLS handshake failed on plain HTTP; read what the client
    still sends (briefly, boundedly) so that closing does not reset the connection before it reads it."""
    deadline = time.monotonic() + 1.0
    try:
        socket.socket.sendall(sock, PLAIN_HTTP_ON_TLS)
        socket.socket.shutdown(sock, socket.SHUT_WR)
        for _ in range(16):  # at most 1 MiB and one second
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            if not socket.socket.recv(sock, 65536):
                break
    except OSError:
        pass
