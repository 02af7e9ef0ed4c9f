// traceback.c: goroutine dumps in Go's format, for fatal errors
// (gothrow) and as an API (goroutinestack, Go's runtime.Stack). See
// runtime.h for the overview.

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "include/hood.h"
#include "runtime/runtime.h"

// Where a traceback goes: the console (buf NULL), or buf, cut at len.
struct tracebuf {
	char *buf;
	size_t len, n;
};

static void __attribute__((format(printf, 2, 3))) tbprintf(struct tracebuf *tb, const char *fmt, ...)
{
	char line[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (tb->buf == NULL) {
		os_print("%s", line);
		return;
	}
	size_t k = strlen(line);
	if (k > tb->len - tb->n) {
		k = tb->len - tb->n;
	}
	memcpy(tb->buf + tb->n, line, k);
	tb->n += k;
}

// One goroutine, in Go's form: "goroutine N [status]:" then its frames:
// the running one's from fp, a parked one's from its saved context (the
// return address and rbp that mcall_switch pushed), one in a syscall's
// from where it entered it. Another G that is running has no frames to
// show: its stack changes under us.
static void
traceback1(struct tracebuf *tb, struct g *gp, uint64_t fp)
{
	uint32_t s = readgstatus(gp);
	tbprintf(tb, "goroutine %ld [%s]:\n", gp->goid, gstatusstring(gp));
	uint64_t ret = 0;
	if (fp == 0 && s == Gsyscall) {
		ret = gp->syscallpc;
		fp = gp->syscallbp;
	} else if (fp == 0 && s != Grunning) {
		uint64_t *sp = (uint64_t *)gp->sched.sp;
		ret = sp[8];
		fp = sp[6];
	}
	if (fp != 0) {
		tb->n += os_backtrace(ret, fp, tb->buf != NULL ? tb->buf + tb->n : NULL, tb->len - tb->n);
	}
}

// Every goroutine but me (Go's tracebackothers), each after a blank line;
// the runtime's own only from GOTRACEBACK=system on, as Go shows them.
static void
traceback(struct tracebuf *tb, struct g *me)
{
	bool system = knobs.traceback >= TracebackSystem;
	for (struct g *gp = allgs; gp != NULL; gp = gp->alllink) {
		uint32_t s = readgstatus(gp);
		if (gp != me && s != Gdead && s != Gidle && (system || !gp->system)) {
			tbprintf(tb, "\n");
			traceback1(tb, gp, 0);
		}
	}
}

// The goroutine dump of a fatal error: the running G (me), then the rest.
void
tracebackothers(struct g *me)
{
	struct tracebuf tb = {NULL, 0, 0};
	if (me != NULL) {
		tbprintf(&tb, "\n");
		traceback1(&tb, me, (uint64_t)__builtin_frame_address(0));
	}
	traceback(&tb, me);
}

// goroutinestack: the calling goroutine's traceback into buf, and with
// all, every other goroutine's after it, the world stopped meanwhile so
// that they hold still. Returns the bytes written, at most len. Go's
// runtime.Stack.
int
goroutinestack(char *buf, int len, bool all)
{
	struct tracebuf tb = {buf, len > 0 ? (size_t)len : 0, 0};
	if (all) {
		stopTheWorld("stack trace");
	}
	struct g *me = getg();
	traceback1(&tb, me, (uint64_t)__builtin_frame_address(0));
	if (all) {
		traceback(&tb, me);
		startTheWorld();
	}
	return (int)tb.n;
}

// gothrow: a fatal error of the Go program, reported as Go does: the
// message, then every goroutine. Exits with status 2.
void
gothrow(const char *msg)
{
	struct m *mp = acquirem(); // not preempted while it reports (one step: os.h)
	os_print("fatal error: %s\n", msg);
	// The running G: even if the M is switching to or from g0 (a stack
	// overflow in mcall_switch, say), its frames are the current ones.
	tracebackothers(mp->curg);
	os_exit(2);
}

// Go's runtime.Stack: the calling goroutine's traceback, and with all the
// others' too, in Go's format, into buf; returns the bytes written.
int
runtime_stack(char *buf, int len, bool all)
{
	return goroutinestack(buf, len, all);
}
