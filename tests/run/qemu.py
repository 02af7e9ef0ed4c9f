"""qemu.py: how hood boots under QEMU, and what QEMU's exit code means.

Used by scripts/qemu (make run, make qemu-gdb, make bench) and by
scripts/runtests, so that the command line and the verdict are written once.

The exit code, with isa-debug-exit at port 0xf4 (docs/boot.md, "Leaving"):

    code      verdict         meaning
    2*s+1     "status s"      hood wrote status s to isa-debug-exit
    0         "triple-fault"  QEMU stopped without hood's word: a triple
                              fault under -no-reboot, a reset, or an ACPI
                              power off (--no-debug-exit)
    0         "signal N"      the same code, but QEMU said "terminating on
                              signal N": someone else sent it SIGTERM/SIGINT
    -N        "signal N"      QEMU was killed by signal N (SIGKILL, say),
                              not by the runner's timeout
    124       "timeout"       no exit within the timeout (run() kills QEMU)
    other     "qemu-error N"  QEMU itself failed

run() gives a death by signal N as -N (as subprocess does), never as
128+N, which would read as an odd code, a status. Other programs (the
hosted tests) have verdicts too (exit_verdict): "status N" for exit status
N, "signal N", "timeout". Background starts QEMU (or any program) and
leaves it running, for a test that talks to the guest while it runs.

Networking is QEMU's user mode (slirp) with a virtio-net device and
restrict=on: the guest reaches nothing outside; the host reaches the guest
only through the forwards given, each bound to 127.0.0.1 and never to any
other address.

The serial console's input has no end the guest can see: when QEMU's stdin
(a pipe, a file) ends, it tells the guest nothing (docs/machine.md, section
11), and the guest's end of input is a byte, Ctrl-D at the start of a line.
Feeder stands between input that is not a terminal and QEMU: it copies the
bytes through a pipe of its own and, once they end, sends end_of_input(),
then keeps the pipe open until QEMU exits (run(feed=...), as scripts/qemu
does). The runner's own boots give QEMU their input directly.

Python 3 standard library only.
"""

import argparse
import os
import re
import select
import signal
import subprocess
import threading
import time

LOOPBACK = "127.0.0.1"  # the only host address a forward or gdb listens on
TIMEOUT_CODE = 124  # as coreutils' timeout(1)
KILL_GRACE = 5  # seconds between SIGTERM and SIGKILL
REAP_BOUND = 10  # seconds a SIGKILLed program may take to be reaped
# QEMU's own line when it exits 0 after a SIGTERM, SIGINT or SIGHUP.
TERMINATING = re.compile(r"^qemu-system-\S+: terminating on signal ([0-9]+)")
OVMF = "/usr/share/ovmf/OVMF.fd"
EOT = 0x04  # Ctrl-D: the guest's end of input at the start of a line


def verdict(code, lines=()):
    """The runner's word for how a boot ended, from QEMU's exit code and
    (for a code 0) its console lines."""
    if code < 0:
        return "signal %d" % -code
    if code == 0:
        said = [m for m in map(TERMINATING.match, lines) if m]
        return "signal %s" % said[-1].group(1) if said else "triple-fault"
    if code == TIMEOUT_CODE:
        return "timeout"
    if code % 2 == 1:
        return "status %d" % ((code - 1) // 2)
    return "qemu-error %d" % code


def exit_verdict(code):
    """The verdict on a program other than QEMU (a hosted test program),
    from run()'s code: "status N", "signal N" or "timeout"."""
    if code < 0:
        return "signal %d" % -code
    return "timeout" if code == TIMEOUT_CODE else "status %d" % code


def signame(n):
    """Signal n's name, SIGKILL, or "signal n" if it has none."""
    try:
        return signal.Signals(n).name
    except ValueError:
        return "signal %d" % n


def explain(v, who="QEMU"):
    """A verdict in a sentence, for a failing test's reason; who is the
    program: "QEMU", or another's name (then "status N" is its exit status)."""
    if v == "triple-fault":
        return "QEMU exited 0 without a status from hood: a triple fault or a reset"
    if v == "timeout":
        return "no exit within the timeout" + (": the machine hung" if who == "QEMU" else "")
    if v.startswith("signal "):
        return "%s was killed by %s (signal %s)" % (who, signame(int(v.split()[1])), v.split()[1])
    if v.startswith("qemu-error "):
        return "QEMU itself failed (exit %s)" % v.split()[1]
    if v == "stopped":
        return "%s was still running when the test stopped it" % who
    if v.startswith("status ") and who != "QEMU":
        return "exit " + v
    return v


def report(code):
    """The line `make run` prints after QEMU ends."""
    if code < 0:
        return "[qemu killed by %s]" % signame(-code)
    if code % 2 == 1:
        return "[hood exited with status %d]" % ((code - 1) // 2)
    return "[qemu exited with code %d]" % code


def forward(proto, hostport, guestport):
    """One hostfwd rule of the user netdev: 127.0.0.1:hostport on the host
    to guestport in the guest. proto is "tcp" or "udp"."""
    if proto not in ("tcp", "udp"):
        raise ValueError("forward: protocol %r, want tcp or udp" % proto)
    for p in (hostport, guestport):
        if not (isinstance(p, int) and 0 < p < 65536):
            raise ValueError("forward: port %r out of range" % (p,))
    return "hostfwd=%s:%s:%d-:%d" % (proto, LOOPBACK, hostport, guestport)


def argv(image, append="", cpus=None, mem=None, uefi=False, debug_exit=True,
         gdb=None, machine=None, cpu=None, forwards=()):
    """QEMU's command line for booting image: an ELF through -kernel (the
    PVH note) or an .iso from CD through GRUB. forwards is a list of
    (proto, hostport, guestport); any forward adds the network device.
    Unset values come from $CPUS, $MEM, $MACHINE, $ACCEL and $QEMU."""
    env = os.environ
    machine = machine or env.get("MACHINE", "pc")
    a = [env.get("QEMU", "qemu-system-x86_64"),
         "-M", machine, "-accel", env.get("ACCEL", "tcg"),
         "-smp", str(cpus or env.get("CPUS", "1")), "-m", mem or env.get("MEM", "128M"),
         "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot"]
    if debug_exit:
        a += ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    if image.endswith(".iso"):
        a += ["-cdrom", image, "-boot", "d"]
        if uefi:
            a += ["-bios", OVMF]
    else:
        a += ["-kernel", image]
        if append:
            a += ["-append", append]
    if cpu:
        a += ["-cpu", cpu]
    if gdb:
        a += ["-gdb", "tcp:%s:%d" % (LOOPBACK, int(gdb)), "-S"]
    if forwards:
        rules = [forward(*f) for f in forwards]
        a += ["-netdev", ",".join(["user,id=n0,restrict=on"] + rules)]
        # microvm has no PCI: its virtio devices sit on virtio-mmio.
        dev = "virtio-net-device" if machine == "microvm" else "virtio-net-pci"
        a += ["-device", dev + ",netdev=n0"]
    return a


def parser():
    """The options of scripts/qemu, which the runner's boot table uses too
    (scripts/qemu's header says what each means)."""
    ap = argparse.ArgumentParser(prog="scripts/qemu", allow_abbrev=False)
    ap.add_argument("image")
    ap.add_argument("-a", "--append", default="")
    ap.add_argument("-c", "--cpus")
    ap.add_argument("-m", "--mem")
    ap.add_argument("-t", "--timeout", type=float, default=float(os.environ.get("TIMEOUT", 60)))
    ap.add_argument("--uefi", action="store_true")
    ap.add_argument("--no-debug-exit", dest="debug_exit", action="store_false")
    ap.add_argument("--gdb", type=int)
    ap.add_argument("--machine")
    ap.add_argument("--cpu")
    ap.add_argument("--input")
    ap.add_argument("--tcp", action="append", type=_ports, default=[], metavar="HOST:GUEST")
    ap.add_argument("--udp", action="append", type=_ports, default=[], metavar="HOST:GUEST")
    ap.add_argument("--report", action="store_true")
    return ap


def _ports(s):
    """HOST:GUEST, for --tcp and --udp."""
    h, _, g = s.partition(":")
    return int(h), int(g)


def command(o):
    """QEMU's command line for options o, as parser() returns them."""
    forwards = [("tcp", h, g) for h, g in o.tcp] + [("udp", h, g) for h, g in o.udp]
    return argv(o.image, append=o.append, cpus=o.cpus, mem=o.mem, uefi=o.uefi,
                debug_exit=o.debug_exit, gdb=o.gdb, machine=o.machine, cpu=o.cpu,
                forwards=forwards)


def run(cmd, timeout, stdin=None, env=None, capture=True, typist=(), group=True, live=None,
        feed=None):
    """Run cmd until it exits, or for timeout seconds, then stop it
    (SIGTERM, and SIGKILL KILL_GRACE seconds later).

    capture: collect stdout and stderr together and return them; else they
    stay this process's (the terminal). typist: (regex, bytes) pairs: once
    a console line matches the first regex its bytes are written to the
    program's stdin, then the next pair waits, as a person types after a
    prompt. group: the program gets a process group of its own, and the
    signals go to that group only (the runner); else to its PID only, and
    it stays in the terminal's group so that keys reach it (make run).
    live: a set that holds the PID while it runs, so that another thread
    can stop it (stop()). feed: a Feeder, whose pipe is then the program's
    stdin (in place of stdin) until it exits.

    Returns (code, output bytes, CPU seconds it used). code is its exit
    status, -N if signal N killed it, or TIMEOUT_CODE if the time ran out."""
    deadline = time.monotonic() + timeout
    pipe = subprocess.PIPE if capture else None
    if feed is not None:
        stdin = feed.fd
    try:
        p = subprocess.Popen(cmd, stdin=subprocess.PIPE if typist else stdin, stdout=pipe,
                             stderr=subprocess.STDOUT if capture else None,
                             env=env, start_new_session=group)
    except BaseException:
        if feed is not None:
            feed.close()
        raise
    if feed is not None:
        feed.start()
    if live is not None:
        live.add(p.pid)
    reaped = False
    try:
        data, late = _read(p, deadline, typist) if capture else (bytearray(), False)
        status, rusage, stopped = _reap(p, deadline, group)
        reaped = True
        if capture and not p.stdout.closed:
            data += _drain(p.stdout)  # what it wrote before it was stopped
    except BaseException:
        if not reaped:
            stop(p.pid, group)
            os.waitpid(p.pid, 0)
        raise
    finally:
        if live is not None:
            live.discard(p.pid)
        if feed is not None:
            feed.close()  # only now that it has exited
        for f in (p.stdin, p.stdout):
            if f:
                f.close()
    p.returncode = status  # reaped by os.wait4 here, not by Popen
    code = TIMEOUT_CODE if late or stopped else status  # -N for signal N
    return code, bytes(data), rusage.ru_utime + rusage.ru_stime


def end_of_input(last):
    """What the guest must get once its host-side input has ended, after
    last, the last byte sent (None if none was): Ctrl-D, with a newline
    before it if last left a line unfinished, as a Ctrl-D in mid-line is
    dropped. After a newline, a carriage return (the guest's newline) or a
    Ctrl-D (an end of input, or a dropped one) the guest is at the start of
    a line, and a newline would be a line of input of its own."""
    return bytes([EOT]) if last in (None, 0x0a, 0x0d, EOT) else bytes([0x0a, EOT])


class Feeder:
    """A program's stdin through a pipe of our own: copies src (a file
    descriptor: the input that is not a terminal) into the pipe and, when
    src ends, end_of_input(), then keeps the pipe open until close(), so
    that the program (QEMU) never sees its input end. run(feed=...) gives
    the program fd, start()s the copy once the program has it (closing
    our copy of fd) and close()s after the program has exited. The copy
    ends quietly if the program is gone (EPIPE) or src fails."""

    def __init__(self, src):
        self.fd, self._w = os.pipe()  # both non-inheritable: the program gets fd as its stdin only
        self._src = src
        self._lock = threading.Lock()  # held while writing, so that close() never closes under a write
        self._thread = threading.Thread(target=self._copy, daemon=True)

    def start(self):
        """The program has fd: close ours, and copy."""
        os.close(self.fd)
        self.fd = None
        self._thread.start()

    def close(self):
        """The program has exited: close the pipe (and fd, if start() never
        came). The copy, if it still waits for src, stops at its next byte."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        with self._lock:
            if self._w is not None:
                os.close(self._w)
                self._w = None

    def _copy(self):
        last = None
        try:
            while True:
                chunk = os.read(self._src, 65536)
                if not chunk:
                    break
                self._send(chunk)
                last = chunk[-1]
            self._send(end_of_input(last))
        except OSError:
            pass

    def _send(self, data):
        with self._lock:
            if self._w is None:
                raise BrokenPipeError("the program has exited")
            view = memoryview(data)
            while view:
                view = view[os.write(self._w, view):]


def stop(pid, group=True):
    """Kill a program run() started: its process group, or its PID."""
    try:
        if group:
            os.killpg(pid, signal.SIGKILL)
        else:
            os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _read(p, deadline, typist):
    """Collect p's output until end of file; type as typist says. Returns
    (bytes, whether the deadline passed first)."""
    data = bytearray()
    pending = list(typist)
    start = 0  # where the line not yet looked at begins
    fd = p.stdout.fileno()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return data, True
        ready, _, _ = select.select([fd], [], [], min(left, 0.5))
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            p.stdout.close()
            return data, False
        data += chunk
        while pending and b"\n" in data[start:]:
            end = data.index(b"\n", start)
            line = data[start:end].replace(b"\r", b"").decode("utf-8", "replace")
            start = end + 1
            if re.search(pending[0][0], line):
                p.stdin.write(pending.pop(0)[1])
                p.stdin.flush()


def _drain(f):
    """What is left to read in f, waiting at most a second for more."""
    data = b""
    while select.select([f], [], [], 1.0)[0]:
        chunk = os.read(f.fileno(), 65536)
        if not chunk:
            break
        data += chunk
    return data


def _reap(p, deadline, group):
    """Wait for p to exit, stopping it at the deadline: SIGTERM, then
    SIGKILL after KILL_GRACE seconds. Returns (its exit status as
    waitstatus_to_exitcode gives it, its rusage, whether it was stopped)."""
    sent = None
    while True:
        pid, status, rusage = os.wait4(p.pid, os.WNOHANG)
        if pid == p.pid:
            return os.waitstatus_to_exitcode(status), rusage, sent is not None
        now = time.monotonic()
        want = None
        if now >= deadline + KILL_GRACE:
            want = signal.SIGKILL
        elif now >= deadline:
            want = signal.SIGTERM
        if want is not None and want != sent:
            sent = want
            try:
                if group:
                    os.killpg(p.pid, want)
                else:
                    os.kill(p.pid, want)
            except ProcessLookupError:
                pass
        try:
            time.sleep(0.05)
        except KeyboardInterrupt:
            # At a terminal the program got the same ^C: wait for it.
            if group:
                raise


class Background:
    """A program (QEMU, as a rule) left running while the caller works: in
    a process group of its own, its stdout and stderr collected line by
    line (carriage returns dropped) by a reader thread, its stdin a pipe
    for send(). It never outlives timeout seconds: the reader kills its
    group then. Use it in a with statement, or call stop(), which kills
    the group (SIGKILL) and reaps the program, within REAP_BOUND seconds.

    Once stopped it has code (as run() gives it), verdict, lines, secs and
    cpu, as the runner's Run has. The verdict is judge(code, lines) if the
    program ended by itself, "timeout" if it overran, and "stopped" if
    stop() ended it."""

    def __init__(self, cmd, timeout, env=None, live=None, judge=verdict):
        self.lines, self.code, self.verdict, self.secs, self.cpu = [], None, None, 0.0, 0.0
        self._judge, self._live, self._cursor = judge, live, 0
        self._ended = self._expired = False  # end of output; the time ran out
        self._cond = threading.Condition()
        self._start = time.monotonic()
        self._deadline = self._start + timeout
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, env=env, start_new_session=True)
        if live is not None:
            live.add(self.proc.pid)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def _read(self):
        """The reader thread: collect lines until end of output, and kill
        the group at the deadline."""
        fd, partial = self.proc.stdout.fileno(), b""
        while True:
            left = self._deadline - time.monotonic()
            if left <= 0 and not self._expired:
                self._expired = True
                self._kill()
            if not select.select([fd], [], [], max(min(left, 0.2), 0.05))[0]:
                continue
            chunk = os.read(fd, 65536)
            partial = self._add(partial + chunk, final=not chunk)
            if not chunk:
                return

    def _add(self, data, final):
        """Append data's whole lines (all of it if final) and wake the
        waiters; return the incomplete last line."""
        parts = data.replace(b"\r", b"").split(b"\n")
        rest = parts.pop() if not final else b""
        if final and parts and parts[-1] == b"":
            parts.pop()
        with self._cond:
            self.lines += [p.decode("utf-8", "replace") for p in parts]
            self._ended = self._ended or final
            self._cond.notify_all()
        return rest

    def wait_for(self, regex, timeout):
        """The first console line after the last one wait_for returned that
        matches regex (re.search), waiting at most timeout seconds for it.
        Raises TimeoutError if it did not come: the time ran out, or the
        program ended first."""
        end, i = time.monotonic() + timeout, self._cursor
        with self._cond:
            while True:
                for i in range(i, len(self.lines)):
                    if re.search(regex, self.lines[i]):
                        self._cursor = i + 1
                        return self.lines[i]
                i = len(self.lines)
                left = end - time.monotonic()
                if self._ended or left <= 0:
                    raise TimeoutError("no console line matched /%s/ %s" % (
                        regex, "before the program ended" if self._ended else "within %g s" % timeout))
                self._cond.wait(left)

    def send(self, data):
        """Write data to the program's stdin (the guest's serial input)."""
        self.proc.stdin.write(data)
        self.proc.stdin.flush()

    def wait(self, timeout):
        """Let the program end by itself within timeout seconds (else it
        has overrun: "timeout"), then stop() it; its verdict."""
        with self._cond:
            self._cond.wait_for(lambda: self._ended, timeout)
            self._expired = self._expired or not self._ended
        return self.stop(grace=1.0)

    def stop(self, grace=0.0):
        """End the program (it may take grace seconds to exit by itself
        first): kill its group, reap it, join the reader. Bounded in time;
        returns the verdict. Calling it again does nothing more."""
        if self.code is not None:
            return self.verdict
        end = time.monotonic() + grace
        while self._poll() is None and time.monotonic() < end:
            time.sleep(0.02)
        ran_on = self._poll() is None
        self._kill()  # the group too, even if its leader is gone (its zombie keeps the ID)
        status, rusage = self._reap()
        self._reader.join(REAP_BOUND)
        self.proc.stdin.close()
        if not self._reader.is_alive():  # else it still reads (a grandchild of another group holds the pipe)
            self.proc.stdout.close()
        self.code = TIMEOUT_CODE if self._expired else status
        self.secs, self.cpu = time.monotonic() - self._start, rusage.ru_utime + rusage.ru_stime
        self.verdict = ("timeout" if self._expired else "stopped" if ran_on
                        else self._judge(status, self.lines))
        return self.verdict

    def _poll(self):
        """The program's wait status if it has exited (left for _reap to
        collect), else None."""
        info = os.waitid(os.P_PID, self.proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        return None if info is None else info.si_status

    def _kill(self):
        """SIGKILL the program's process group."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def _reap(self):
        """Collect the (killed) program's exit within REAP_BOUND seconds:
        (its code, -N for signal N; its rusage)."""
        end = time.monotonic() + REAP_BOUND
        while True:
            pid, status, rusage = os.wait4(self.proc.pid, os.WNOHANG)
            if pid == self.proc.pid:
                self.proc.returncode = os.waitstatus_to_exitcode(status)
                if self._live is not None:
                    self._live.discard(self.proc.pid)
                return self.proc.returncode, rusage
            if time.monotonic() > end:
                raise RuntimeError("pid %d outlived SIGKILL by %d s" % (self.proc.pid, REAP_BOUND))
            time.sleep(0.02)
