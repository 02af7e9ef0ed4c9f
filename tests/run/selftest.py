"""selftest.py: scripts/runtests's tests of itself, in the unit tier.

They check the helpers that network tests use (net.py), QEMU's verdicts and
forwards (qemu.py) and the runner's timeout, against local programs and
127.0.0.1 sockets, so that a broken helper fails here, not as a flaky guest
test. Each TestRunnerX returns None if it passed, else the reason; the
runner runs them in the order they are defined.

Python 3 standard library only.
"""

import socket
import threading
import time

import net
import qemu


def later(secs, fn):
    """Run fn in a thread after secs seconds (a server that starts late)."""
    t = threading.Thread(target=lambda: (time.sleep(secs), fn()), daemon=True)
    t.start()
    return t


def TestRunnerDialRetries():
    """dial reaches a 127.0.0.1 listener that starts 0.6 s after it began."""
    port = net.free_port()

    def serve():
        with socket.create_server((net.LOOPBACK, port)) as srv:
            c, _ = srv.accept()
            c.sendall(b"hello\n")
            c.close()
    later(0.6, serve)
    with net.dial(port, tries=50, within=10) as s:
        got = net.recv_until(s, b"\n", timeout=5)
    return None if got == b"hello\n" else "read %r, want b'hello\\n'" % got


def TestRunnerDialGivesUp():
    """dial to a port nobody listens on fails, bounded by its count of tries
    and by its time, whichever ends first."""
    port = net.free_port()
    for tries, within, limit in ((5, 30.0, 3.0), (1000, 1.0, 3.0)):
        start = time.monotonic()
        try:
            net.dial(port, tries=tries, within=within, pause=0.2).close()
            return "dial %d succeeded with nothing listening" % port
        except TimeoutError:
            pass
        took = time.monotonic() - start
        if took > limit:
            return "dial(tries=%d, within=%g) gave up after %.1f s" % (tries, within, took)
    return None


def TestRunnerRecvTimeout():
    """recv_until gives up at its timeout on a peer that never writes."""
    with socket.create_server((net.LOOPBACK, 0)) as srv:
        with net.dial(srv.getsockname()[1], tries=3, within=5) as s:
            start = time.monotonic()
            try:
                net.recv_until(s, b"never", timeout=0.5)
                return "recv_until returned with nothing sent"
            except TimeoutError:
                took = time.monotonic() - start
    return None if took < 2 else "recv_until(timeout=0.5) took %.1f s" % took


def TestRunnerUDPRetries():
    """udp_exchange resends until an echo server that starts late answers."""
    port = net.free_port(socket.SOCK_DGRAM)

    def echo():
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind((net.LOOPBACK, port))
            data, peer = s.recvfrom(100)
            s.sendto(data.upper(), peer)
    later(0.6, echo)
    got = net.udp_exchange(port, b"ping", tries=20, wait=0.3)
    return None if got == b"PING" else "got %r, want b'PING'" % got


def TestRunnerForwardsLoopbackOnly():
    """QEMU's network forwards listen on 127.0.0.1 only, and bad ones are refused."""
    a = qemu.argv("x.elf", forwards=[("tcp", 8080, 80), ("udp", 5353, 53)])
    want = "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=udp:127.0.0.1:5353-:53"
    if a[a.index("-netdev") + 1] != want or "virtio-net-pci,netdev=n0" not in a:
        return "network options %s" % a[a.index("-netdev"):]
    for bad in (("tcp", 0, 80), ("tcp", 8080, 65536), ("sctp", 1, 1), ("tcp", "0.0.0.0:1", 1)):
        try:
            qemu.forward(*bad)
            return "forward%r was accepted" % (bad,)
        except ValueError:
            pass
    return None


def TestRunnerVerdicts():
    """QEMU's exit codes decode as tests/run/qemu.py's table says."""
    for code, want in ((1, "status 0"), (5, "status 2"), (129, "status 64"), (0, "triple-fault"),
                       (124, "timeout"), (2, "qemu-error 2")):
        if qemu.verdict(code) != want:
            return "verdict(%d) = %s, want %s" % (code, qemu.verdict(code), want)
    if qemu.report(3) != "[hood exited with status 1]" or qemu.report(0) != "[qemu exited with code 0]":
        return "report: %s, %s" % (qemu.report(3), qemu.report(0))
    return None


def TestRunnerTimeoutKillsGroup():
    """A program past its timeout ends with code 124, and so does every
    process it started (the signal goes to its process group)."""
    start = time.monotonic()
    code, out, _ = qemu.run(["sh", "-c", "sleep 60 & echo $!; wait"], 0.5)
    if code != qemu.TIMEOUT_CODE or time.monotonic() - start > 8:
        return "code %d after %.1f s, want 124 soon after 0.5 s" % (code, time.monotonic() - start)
    child = int(out.split()[0])
    for _ in range(40):
        try:
            with open("/proc/%d/stat" % child) as f:
                if f.read().split(")")[-1].split()[0] == "Z":
                    return None
        except FileNotFoundError:
            return None
        time.sleep(0.05)
    return "sleep (pid %d) outlived its group's timeout" % child
