"""net.py: the host's side of hood's network tests.

A test picks the host ports with free_port, boots the guest in the
background with forwards from 127.0.0.1 (scripts/runtests' background(),
a qemu.Background, with "--tcp PORT:GUESTPORT"), waits for the console line
that says the guest listens (wait_for), and talks to the guest through the
forwards. With nothing listening in the guest, QEMU (7.2's slirp) still
accepts the host's connection, then holds it open without data: a
connection alone proves nothing about the guest. The
guest needs a while to boot and to listen, so dial and exchange retry; every
wait is bounded both in tries and in seconds, so that a guest that never
answers fails the test rather than hanging the runner. Everything here uses
127.0.0.1 only. scripts/runtests checks these helpers against local
listeners (TestRunnerDial*, TestRunnerUDP*, TestRunnerRecv*).

Python 3 standard library only.
"""

import socket
import time

LOOPBACK = "127.0.0.1"


def free_port(kind=socket.SOCK_STREAM):
    """A port on 127.0.0.1 that nothing uses now (the kernel's choice).
    Another program could take it before QEMU binds it; the window is
    short, and the boot then fails with a QEMU error, not silently."""
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def dial(port, tries=50, within=30.0, pause=0.2):
    """A TCP connection to 127.0.0.1:port, trying again while it is
    refused (a forward with no listener behind it yet), at most tries
    times and within seconds. Raises TimeoutError when both ran out."""
    end = time.monotonic() + within
    last = None
    for _ in range(tries):
        left = end - time.monotonic()
        if left <= 0:
            break
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(min(left, 5.0))
        try:
            s.connect((LOOPBACK, port))
            return s
        except OSError as e:
            s.close()
            last = e
        time.sleep(min(pause, max(0.0, end - time.monotonic())))
    raise TimeoutError("dial 127.0.0.1:%d: no connection in %d tries or %.1f s (last: %s)"
                       % (port, tries, within, last))


def send(s, data, timeout=5.0):
    """Write all of data to the connected socket s within timeout seconds."""
    s.settimeout(timeout)
    s.sendall(data)


def recv_until(s, marker, timeout=5.0, limit=1 << 20):
    """Read from s until marker has arrived, the peer closed, or limit
    bytes came; at most timeout seconds in all. Returns what was read;
    raises TimeoutError if the time ran out first."""
    end = time.monotonic() + timeout
    data = b""
    while marker not in data and len(data) < limit:
        left = end - time.monotonic()
        if left <= 0:
            raise TimeoutError("recv: %r not seen in %.1f s (got %r)" % (marker, timeout, data[:200]))
        s.settimeout(left)
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            continue
        if not chunk:
            break
        data += chunk
    return data


def udp_exchange(port, data, tries=10, wait=0.5):
    """Send the datagram data to 127.0.0.1:port and return the first
    reply, sending again after each wait seconds without one (a datagram
    is lost when nothing listens yet). Raises TimeoutError after tries."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect((LOOPBACK, port))
        for _ in range(tries):
            s.settimeout(wait)
            try:
                s.send(data)
                return s.recv(65536)
            except socket.timeout:
                continue
            except ConnectionRefusedError:
                time.sleep(wait)  # the ICMP answer to an earlier try
        raise TimeoutError("udp 127.0.0.1:%d: no reply in %d tries of %.1f s" % (port, tries, wait))
