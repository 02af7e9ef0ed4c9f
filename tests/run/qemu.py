"""qemu.py: how hood boots under QEMU, and what QEMU's exit code means.

Used by scripts/qemu (make run, make qemu-gdb, make bench) and by
scripts/runtests, so that the command line and the verdict are written once.

The exit code, with isa-debug-exit at port 0xf4 (docs/boot.md, "Leaving"):

    code      verdict         meaning
    2*s+1     "status s"      hood wrote status s to isa-debug-exit
    0         "triple-fault"  QEMU stopped without hood's word: a triple
                              fault under -no-reboot, a reset, or an ACPI
                              power off (--no-debug-exit)
    124       "timeout"       no exit within the timeout (run() kills QEMU)
    other     "qemu-error N"  QEMU itself failed

Networking is QEMU's user mode (slirp) with a virtio-net device and
restrict=on: the guest reaches nothing outside; the host reaches the guest
only through the forwards given, each bound to 127.0.0.1 and never to any
other address.

Python 3 standard library only.
"""

import argparse
import os
import re
import select
import signal
import subprocess
import time

LOOPBACK = "127.0.0.1"  # the only host address a forward or gdb listens on
TIMEOUT_CODE = 124  # as coreutils' timeout(1)
KILL_GRACE = 5  # seconds between SIGTERM and SIGKILL
OVMF = "/usr/share/ovmf/OVMF.fd"


def verdict(code):
    """The runner's word for how a boot ended, from QEMU's exit code."""
    if code == 0:
        return "triple-fault"
    if code == TIMEOUT_CODE:
        return "timeout"
    if code % 2 == 1:
        return "status %d" % ((code - 1) // 2)
    return "qemu-error %d" % code


def explain(v):
    """A verdict in a sentence, for a failing test's reason."""
    if v == "triple-fault":
        return "QEMU exited 0 without a status from hood: a triple fault or a reset"
    if v == "timeout":
        return "no exit within the timeout: the machine hung"
    if v.startswith("qemu-error "):
        return "QEMU itself failed (exit %s)" % v.split()[1]
    return v


def report(code):
    """The line `make run` prints after QEMU ends."""
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


def run(cmd, timeout, stdin=None, env=None, capture=True, typist=(), group=True, live=None):
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
    can stop it (stop()).

    Returns (code, output bytes, CPU seconds it used). code is its exit
    status, 128+N for signal N, or TIMEOUT_CODE if the time ran out."""
    deadline = time.monotonic() + timeout
    pipe = subprocess.PIPE if capture else None
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE if typist else stdin, stdout=pipe,
                         stderr=subprocess.STDOUT if capture else None,
                         env=env, start_new_session=group)
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
        for f in (p.stdin, p.stdout):
            if f:
                f.close()
    p.returncode = status  # reaped by os.wait4 here, not by Popen
    if late or stopped:
        code = TIMEOUT_CODE
    else:
        code = status if status >= 0 else 128 - status
    return code, bytes(data), rusage.ru_utime + rusage.ru_stime


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
