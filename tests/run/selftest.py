"""selftest.py: scripts/runtests's tests of itself, in the unit tier.

They check the helpers that network tests use (net.py), QEMU's verdicts and
forwards (qemu.py), the runner's timeout, background boots, suite exits and
program environment, against local programs, 127.0.0.1 sockets and (one
test) a background boot of build/test.elf, so that a broken helper fails
here, not as a flaky guest test. Each TestRunnerX returns None if it
passed, else the reason; the runner runs them in the order they are
defined. RUNNER is scripts/runtests itself (it sets it), for the tests of
its own functions; a test's needs (the needs decorator) are the files it
must have.

Python 3 standard library only.
"""

import os
import socket
import sys
import threading
import time

import net
import qemu


RUNNER = None  # scripts/runtests, set by it before any test runs


def needs(*files):
    """Mark a test as needing files (built images) to run."""
    def mark(fn):
        fn.needs = files
        return fn
    return mark


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
                       (124, "timeout"), (2, "qemu-error 2"), (-9, "signal 9"), (137, "status 68")):
        if qemu.verdict(code) != want:
            return "verdict(%d) = %s, want %s" % (code, qemu.verdict(code), want)
    said = ["qemu-system-x86_64: terminating on signal 15 from pid 805 (bash)"]
    if qemu.verdict(0, said) != "signal 15":
        return "verdict(0) after QEMU's SIGTERM line = %s, want signal 15" % qemu.verdict(0, said)
    for code, want in ((3, "[hood exited with status 1]"), (0, "[qemu exited with code 0]"),
                       (-9, "[qemu killed by SIGKILL]")):
        if qemu.report(code) != want:
            return "report(%d) = %s, want %s" % (code, qemu.report(code), want)
    return None


def TestRunnerTimeoutKillsGroup():
    """A program past its timeout ends with code 124, and so does every
    process it started (the signal goes to its process group)."""
    start = time.monotonic()
    code, out, _ = qemu.run(["sh", "-c", "sleep 60 & echo $!; wait"], 0.5)
    if code != qemu.TIMEOUT_CODE or time.monotonic() - start > 8:
        return "code %d after %.1f s, want 124 soon after 0.5 s" % (code, time.monotonic() - start)
    child = int(out.split()[0])
    if outlives(child):
        return "sleep (pid %d) outlived its group's timeout" % child
    return None


def TestRunnerSignalDeath():
    """A program that kills itself with SIGKILL reads as "signal 9" (killed
    by SIGKILL), not as status 68 nor as a timeout, whether QEMU or a
    hosted program died so, and through the runner's run() too."""
    code, _, _ = qemu.run(["sh", "-c", "kill -KILL $$"], 10)
    if code != -9:
        return "code %d, want -9" % code
    for v in (qemu.verdict(code), qemu.exit_verdict(code)):
        if v != "signal 9" or "killed by SIGKILL" not in qemu.explain(v, "sh"):
            return "verdict %s (%s), want signal 9, killed by SIGKILL" % (v, qemu.explain(v, "sh"))
    b = RUNNER.run(["sh", "-c", "echo dying; kill -KILL $$"], 10)
    if b.verdict != "signal 9" or "killed by SIGKILL" not in RUNNER.ended(b) or b.lines != ["dying"]:
        return "runner's run: verdict %s (%s), lines %r" % (b.verdict, RUNNER.ended(b), b.lines)
    if qemu.exit_verdict(137) != "status 137":
        return "a program's exit 137 reads %s, want status 137" % qemu.exit_verdict(137)
    return None


def fake_suite(code, lines, suffix):
    """The runner's results for a transcript of lines from a suite that
    exits with code (a shell program that prints them)."""
    script = "printf '%s\\n' " + " ".join("'%s'" % l for l in lines) + "; exit %d" % code
    b = RUNNER.run(["sh", "-c", script], 10)
    rs = RUNNER.suite("selftest-fake", b, ["TestA", "TestB"], suffix)
    RUNNER.SHARED.pop("selftest-fake", None)  # not a console -v should show
    return {r.name: r for r in rs}


def TestRunnerSuiteExit():
    """A suite whose tests all pass but whose program then exits non-zero
    (a sanitizer's report at exit) fails its TestSuiteExit result, and only
    that; with exit 0 it passes."""
    passed = ["=== RUN   TestA", "--- PASS: TestA (0.00s)", "=== RUN   TestB", "--- PASS: TestB (0.01s)",
              "PASS"]
    rs = fake_suite(23, passed + ["==4242==ERROR: LeakSanitizer: detected memory leaks"], "/asan")
    if sorted(rs) != ["TestA/asan", "TestB/asan", "TestSuiteExit/asan"]:
        return "results %s" % sorted(rs)
    bad = rs["TestSuiteExit/asan"]
    if not (rs["TestA/asan"].ok and rs["TestB/asan"].ok) or bad.ok:
        return "with exit 23: %s" % {n: r.ok for n, r in rs.items()}
    if bad.notes != ["want status 0, got exit status 23; all its tests passed"]:
        return "reason %r" % bad.notes
    rs = fake_suite(0, passed, "")
    if not all(r.ok for r in rs.values()) or "TestSuiteExit/unit" not in rs:
        return "with exit 0: %s" % {n: (r.ok, r.notes) for n, r in rs.items()}
    return None


def TestRunnerEnvDropsKnobs():
    """The environment of a program the runner starts drops the runtime's
    knobs and HOOD_* inherited from the runner's, keeps the rest, and has
    the runner's own settings."""
    base = {"GOMAXPROCS": "lots", "GOGC": "x", "GOTRACEBACK": "y", "GODEBUG": "z=1", "HOOD_STACK": "5000",
            "HOOD_SHORT": "0", "PATH": "/bin", "GOPATH": "/go", "TSAN_OPTIONS": "a=1"}
    env = RUNNER.program_env(RUNNER.HOSTED_ENV["asan"], base=base)
    want = {"PATH": "/bin", "GOPATH": "/go", "TSAN_OPTIONS": "a=1", "HOOD_SHORT": "1", "HOOD_STACK": "8388608"}
    if env != want:
        return "environment %s, want %s" % (env, want)
    if "GOMAXPROCS" in RUNNER.program_env(base=base):
        return "GOMAXPROCS=lots was inherited"
    return None


def TestRunnerBackgroundTimeout():
    """A background program: wait_for sees its lines; one past its timeout
    is killed with its group ("timeout"); one that exits is judged; stop()
    ends one that runs ("stopped"); each soon."""
    start = time.monotonic()
    with qemu.Background(["sh", "-c", "echo ready; sleep 60 & echo $!; wait"], 1.0) as p:
        p.wait_for("^ready$", 5)
        child = int(p.wait_for("^[0-9]+$", 5))
        try:
            p.wait_for("never", 10)
            return "wait_for matched a line never printed"
        except TimeoutError:
            pass
    took = time.monotonic() - start
    if p.verdict != "timeout" or took > 5 or outlives(child):
        return "verdict %s after %.1f s, sleep alive: %s" % (p.verdict, took, alive(child))
    v = qemu.Background(["sh", "-c", "echo a; exit 3"], 10, judge=lambda c, _: qemu.exit_verdict(c)).wait(5)
    if v != "status 3":
        return "an exit 3 reads %s" % v
    p = qemu.Background(["sleep", "60"], 30)
    start = time.monotonic()
    if p.stop() != "stopped" or time.monotonic() - start > 2:
        return "stop: %s after %.1f s" % (p.verdict, time.monotonic() - start)
    return None


def alive(pid):
    """Whether process pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def outlives(pid, within=2.0):
    """Whether process pid, sent SIGKILL, is still alive within seconds: a
    killed process dies only once it is next scheduled, which on a loaded
    machine can be a while after kill() returned."""
    end = time.monotonic() + within
    while alive(pid):
        if time.monotonic() > end:
            return True
        time.sleep(0.02)
    return False


def listeners(port):
    """The local addresses (hex, as /proc/net/tcp{,6} has them) that listen
    on TCP port."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for row in list(f)[1:]:
                local, state = row.split()[1], row.split()[3]
                if state == "0A" and int(local.split(":")[1], 16) == port:
                    found.append(local.split(":")[0])
    return found


@needs("build/test.elf")
def TestRunnerBackgroundBoot():
    """A guest booted in the background with --tcp PORT:80 (the runner test
    that halts forever): the console's lines arrive while it runs; the
    forward listens on 127.0.0.1 only; dial connects, and with no server
    in the guest QEMU's slirp holds the connection open without data (its
    SYNs to the guest go unanswered); stop() ends QEMU within 5 s, which
    closes the connection and the forward."""
    port = net.free_port()
    with RUNNER.background("build/test.elf", 1, "--tcp %d:80" % port, "test=TestRunnerSeesHang", 60) as g:
        g.wait_for("^hood: booted by ", 30)
        g.wait_for("^=== RUN   TestRunnerSeesHang$", 30)
        if listeners(port) != ["0100007F"]:
            return "port %d listens on %s, want 127.0.0.1 (0100007F) only" % (port, listeners(port))
        with net.dial(port, tries=10, within=10) as s:
            try:
                got = net.recv_until(s, b"\n", timeout=1.0)
                return "the forward with no server behind it gave %r, want nothing" % got
            except TimeoutError:
                pass
            start = time.monotonic()
            g.stop()
            took = time.monotonic() - start
            closed = ended_connection(s)
    if g.verdict != "stopped" or took > 5 or alive(g.proc.pid):
        return "stop(): verdict %s after %.1f s" % (g.verdict, took)
    return closed or refused(port)


def ended_connection(s):
    """None if the peer of s closes or resets it within 5 s, else why."""
    try:
        s.settimeout(5)
        data = s.recv(100)
        return None if data == b"" else "after stop() the connection gave %r" % data
    except ConnectionResetError:
        return None
    except socket.timeout:
        return "the connection stayed open 5 s after QEMU was stopped"


def refused(port):
    """None if a connection to 127.0.0.1:port is refused, else why."""
    try:
        socket.create_connection((net.LOOPBACK, port), timeout=5).close()
        return "127.0.0.1:%d still accepts connections after stop()" % port
    except ConnectionRefusedError:
        return None


# Reads N bytes of stdin (argv[1]), then says them (in hex) and whether its
# stdin is still open a while later: "open", "closed" (end of file) or "more".
READER = r"""
import os, select, sys
n, got = int(sys.argv[1]), b""
while len(got) < n:
    chunk = os.read(0, n - len(got))
    if not chunk:
        break
    got += chunk
state = "open"
if select.select([0], [], [], 0.3)[0]:
    state = "more" if os.read(0, 100) else "closed"
print(got.hex(), state)
"""


def TestRunnerFeederEndOfInput():
    """scripts/qemu's feed of input that is not a terminal (qemu.Feeder,
    through run(feed=...)): the bytes, then Ctrl-D, after a newline only if
    the last line was unfinished, then nothing, with the pipe left open
    while the program runs (QEMU must not see its input end)."""
    cases = ((b"", b"\x04"), (b"hello\n", b"hello\n\x04"), (b"hello", b"hello\n\x04"),
             (b"a\r", b"a\r\x04"), (b"ab\x04", b"ab\x04\x04"), (b"hi\n\x04", b"hi\n\x04\x04"),
             (bytes(range(256)) * 300, bytes(range(256)) * 300 + b"\n\x04"))
    for data, want in cases:
        r, w = os.pipe()
        feeder = threading.Thread(target=lambda: (os.write(w, data), os.close(w)), daemon=True)
        feeder.start()
        try:
            code, out, _ = qemu.run([sys.executable, "-c", READER, str(len(want))], 10,
                                    feed=qemu.Feeder(r))
        finally:
            feeder.join(5)
            os.close(r)
        said = out.decode().split()
        if code != 0 or said != [want.hex(), "open"]:
            return "input %r: exit %d, said %r, want %r then open" % (
                data[:20], code, out[-200:], want[-20:])
    return None
