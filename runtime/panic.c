// panic.c: defer, panic and recover (Go's panic.go), and the report of
// a panic nobody recovered; docs/panic.md is the user's side. STYLE.md's second level of error: what a Go
// program can recover from (a send on a closed channel, a close of a nil
// one, a size out of range, a program's own panic). See runtime.h for the
// three levels.
//
// C has no function epilogue the runtime can hook, so a function that
// defers opens a deferscope block (hood.h): a struct deferframe on its
// stack, on the G's list of open frames (gp->deferframe), with a jump
// buffer at the block's start (asm_amd64.asm's deferframe_setjmp) and a
// cleanup (GCC's cleanup attribute) that runs at the block's end however
// it is left, return and break included: that cleanup is Go's
// deferreturn. defer(fn, arg) is Go's deferproc: a record in the innermost
// open frame, in one of its two slots (on the stack, as Go 1.13's
// stack-allocated defers), or past them on its list of heap records. So,
// as in Go:
//
//	frame end or return   deferreturn: the frame's records, newest first
//	runtime_panic(msg)    gopanic: every record of the G, newest first,
//	                      frame by frame from the innermost, each popped
//	                      before it runs
//	recover() in a record gorecover: the panic stops; gopanic longjmps to
//	run by the panic      the record's frame, whose block ends there
//	                      (its cleanup runs the frame's older records),
//	                      and the function goes on after the block
//	nobody recovers       fatalpanic: "panic: msg" (the chain of panics
//	                      as Go prints it), every goroutine, status 2
//	runtime_goexit        every record runs, then the G ends (Go's Goexit)
//
// A CPU fault in a goroutine is a panic too (Go's sigpanic): the port's
// fault handler asks sigcanpanic, which says yes where Go's canpanic does,
// and resumes the goroutine in sigpanic as if the faulting instruction had
// called it (os.h). sigpanic panics with Go's runtime error, whose report,
// unrecovered, has Go's "[signal ...]" line under the panic.
//
// Heap records come from a per-P pool (Go's pp.deferpool, 32 of them,
// half moved to and from sched.deferpool), since nothing is collected yet.
// Invariants: every record lies in the frame that was innermost when
// defer made it, so the G's records, newest first, are its frames' from
// the innermost out, each frame's heap records (newest first) before its
// slots (the older, last slot first); a record is run by at most one of
// deferreturn, gopanic and Goexit, having been popped first.

#include <stddef.h>
#include <stdio.h>

#include "include/hood.h"
#include "runtime/malloc.h"
#include "runtime/runtime.h"

// A deferred call past a frame's slots (Go's heap _defer).
struct defer {
	void (*fn)(void *arg);
	void *arg;
	struct defer *link; // the frame's next older heap record
};

// A panic in progress (Go's _panic), on the panicking G's stack.
struct panic {
	const char *msg;
	struct panic *link;        // the panic it interrupted (a deferred call panicked)
	const struct deferslot *running; // the deferred call it runs now (rundefer's)
	bool recovered;
	bool aborted; // a later panic took over its deferred calls
};

_Static_assert(offsetof(struct deferframe, jb) == 0, "asm_amd64.asm: deferframe_setjmp's jb at f");
void deferframe_longjmp(struct deferframe *f) __attribute__((noreturn));

static struct defer *newdefer(void);
static void freedefer(struct defer *d);
static bool popdefer(struct deferframe *f, struct deferslot *out);
static void rundefer(struct g *gp, struct panic *p, struct deferslot d);
static _Noreturn void recovery(struct g *gp, struct panic *p, struct deferframe *f);
static _Noreturn void fatalpanic(struct panic *p);
static void printpanics(struct panic *p);


// ---- records ------------------------------------------------------------------------

// A record from the P's pool, refilled by half from the central one, or
// a new one (Go's newdefer).
static struct defer *
newdefer(void)
{
	struct m *mp = acquirem();
	struct p *pp = mp->p;
	if (pp->ndeferpool == 0) {
		spin_lock(&sched.deferlock);
		while (pp->ndeferpool < DeferPoolSize / 2 && sched.deferpool != NULL) {
			struct defer *d = sched.deferpool;
			sched.deferpool = d->link;
			pp->deferpool[pp->ndeferpool++] = d;
		}
		spin_unlock(&sched.deferlock);
	}
	struct defer *d = pp->ndeferpool > 0 ? pp->deferpool[--pp->ndeferpool] : NULL;
	releasem(mp);
	if (d == NULL) {
		d = mallocgc(sizeof *d, 0);
	}
	return d;
}

// Give d back to the P's pool; a full pool gives half to the central one
// (Go's freedefer).
static void
freedefer(struct defer *d)
{
	*d = (struct defer){0};
	struct m *mp = acquirem();
	struct p *pp = mp->p;
	if (pp->ndeferpool == DeferPoolSize) {
		struct defer *first = NULL, *last = NULL;
		while (pp->ndeferpool > DeferPoolSize / 2) {
			struct defer *t = pp->deferpool[--pp->ndeferpool];
			t->link = first;
			first = t;
			if (last == NULL) {
				last = t;
			}
		}
		spin_lock(&sched.deferlock);
		last->link = sched.deferpool;
		sched.deferpool = first;
		spin_unlock(&sched.deferlock);
	}
	pp->deferpool[pp->ndeferpool++] = d;
	releasem(mp);
}

// ---- frames and defer ----------------------------------------------------------------

// The deferscope block's first step: open f, the G's innermost frame now.
// f is uninitialised until here (hood.h's deferscope: zeroing all of it
// would cost more than this call).
bool
deferframe_begin(struct deferframe *f)
{
	struct g *gp = getg();
	f->gp = gp;
	f->more = NULL;
	f->nslot = 0;
	f->link = gp->deferframe;
	gp->deferframe = f;
	return true;
}

// deferproc: defer fn(arg) to the end of the innermost open frame: in a
// free slot of it, or on its heap list.
void
deferproc(void (*fn)(void *), void *arg)
{
	struct g *gp = getg();
	struct deferframe *f = gp->deferframe;
	if (f == NULL) {
		gothrow("defer outside a deferscope block");
	}
	if (fn == NULL) {
		gothrow("defer of nil func value");
	}
	if (f->nslot < DeferFrameSlots) {
		f->slot[f->nslot++] = (struct deferslot){fn, arg};
		return;
	}
	struct defer *d = newdefer();
	*d = (struct defer){fn, arg, f->more};
	f->more = d;
}

// Pop f's newest record into *out, if it has one.
static bool
popdefer(struct deferframe *f, struct deferslot *out)
{
	struct defer *d = f->more;
	if (d != NULL) {
		f->more = d->link;
		*out = (struct deferslot){d->fn, d->arg};
		freedefer(d);
		return true;
	}
	if (f->nslot > 0) {
		*out = f->slot[--f->nslot];
		return true;
	}
	return false;
}

// Run d, a record popped from its frame, with the G's record of what runs
// (and p's, if a panic runs it) set to this call for gorecover's test,
// and restored after. The call's identity is the address of d, rundefer's
// own copy: unique while it runs, where the record's slot may be reused
// meanwhile (a defer in the deferred call, with no block of its own).
static void
rundefer(struct g *gp, struct panic *p, struct deferslot d)
{
	const struct deferslot *saved = gp->deferrunning;
	gp->deferrunning = &d;
	if (p != NULL) {
		p->running = &d;
	}
	d.fn(d.arg);
	if (p != NULL) {
		p->running = NULL;
	}
	gp->deferrunning = saved;
}

// deferreturn: the end of f's block, however it was left (the cleanup
// hood.h's deferscope gives f): f's records, newest first, then f is
// closed. A block left by a recovered panic's longjmp ends here too.
void
deferreturn(struct deferframe *f)
{
	struct deferslot d;
	while (popdefer(f, &d)) {
		rundefer(f->gp, NULL, d);
	}
	f->gp->deferframe = f->link;
}

// ---- panic and recover ------------------------------------------------------------------

// gopanic: Go's panic with a message: run the G's deferred calls, newest
// first; if one recovers, the function that deferred it goes on after its
// deferscope block; if none does, the program ends (fatalpanic).
void
gopanic(const char *msg)
{
	// The M and its G read as one step (acquirem): a goroutine preempted
	// between a getg and a getm would compare itself with the curg of the
	// M it left (TestPanicRecoverInEveryGoroutine, 4 CPUs: "panic: loop"
	// unrecovered). Where no deferred call may run, Go's throws (the
	// runtime panicked where it must not; locks > 1: ours is one).
	struct m *mp = acquirem();
	struct g *gp = mp->curg;
	const char *why = gp == NULL || mp->cur != gp ? "panic on system stack"
			  : mp->mallocing            ? "panic during malloc"
			  : mp->preemptoff != NULL   ? "panic during preemptoff"
			  : mp->locks > 1            ? "panic holding locks"
						     : NULL;
	releasem(mp);
	if (why != NULL) {
		os_print("panic: %s\n", msg);
		throw(why);
	}
	struct panic p = {msg, gp->panics, NULL, false, false};
	gp->panics = &p;
	if (p.link != NULL) {
		p.link->aborted = true; // its deferred call panicked: we run the rest
	}
	// The frames inner to the one whose record runs are done with (their
	// functions never return), but stay on the list: a deferred call's
	// own frames open above them, and go.
	for (struct deferframe *f = gp->deferframe; f != NULL; f = f->link) {
		struct deferslot d;
		while (popdefer(f, &d)) {
			rundefer(gp, &p, d);
			if (p.recovered) {
				recovery(gp, &p, f);
			}
		}
	}
	fatalpanic(gp->panics);
}

// Go's recovery: done with p and the panics it interrupted whose frames
// are gone with the jump (Go removes aborted ones), and back to the end of
// f's block, whose cleanup runs f's older records.
static _Noreturn void
recovery(struct g *gp, struct panic *p, struct deferframe *f)
{
	struct panic *q = p->link;
	while (q != NULL && q->aborted) {
		q = q->link;
	}
	gp->panics = q;
	gp->fault.sig = 0;  // a fault it came from is over
	gp->deferframe = f; // the frames inside f are gone
	// So are the stack's frames below f's block (ASan's marks). From a
	// page below this frame: its own red zones too.
	os_stackunwound((uint64_t)__builtin_frame_address(0) - 4096, f->jb[6]);
	deferframe_longjmp(f);
}

// gorecover: in a deferred call that a panic runs, stop the panic and
// return its message; NULL otherwise (not panicking, or a call the panic
// does not run directly: one deferred by a function the deferred call
// called), as Go's.
const char *
runtime_recover(void)
{
	struct g *gp = getg();
	struct panic *p = gp->panics;
	if (p == NULL || p->recovered || p->running == NULL || gp->deferrunning != p->running) {
		return NULL;
	}
	p->recovered = true;
	return p->msg;
}

void
runtime_panic(const char *msg)
{
	gopanic(msg);
}

// Go's Goexit: every deferred call runs (recover returns NULL there: no
// panic), then the G ends. Frames are not closed: the G is.
void
rundefers(void)
{
	struct g *gp = getg();
	for (struct deferframe *f = gp->deferframe; f != NULL; f = f->link) {
		struct deferslot d;
		while (popdefer(f, &d)) {
			rundefer(gp, NULL, d);
		}
	}
	gp->deferframe = NULL;
}

// ---- faults as panics ----------------------------------------------------------------

// The port's question (os_setsigpanic), in its fault handler: does the
// fault f become a panic of the running goroutine? As Go's canpanic: the
// fault is the goroutine's own, on its stack (not the scheduler's, not in
// a syscall), and the runtime holds nothing a panic would leave held (no
// locks, not in malloc, not stopping the world). And as Go's sigpanic,
// only a fault that panics: a nil dereference (an address in the first
// page, or none: a general-protection fault) or a divide error; a fault
// at any other address is the machine's fatal report ("unexpected fault
// address", Go's throw("fault")). Runs on the fault stack: records the
// fault in the G, takes no lock.
bool
sigcanpanic(const struct sigfault *f)
{
	struct m *mp = os_getm();
	struct g *gp = mp != NULL ? mp->curg : NULL;
	if (gp == NULL || mp->cur != gp || mp->locks > 0 || mp->mallocing || mp->preemptoff != NULL ||
	    gp->asyncpreempt || readgstatus(gp) != Grunning) {
		return false;
	}
	bool nil = f->addr < 0x1000 && (f->code == SegvMaperr || f->code == SegvAccerr || f->code == SiKernel);
	if (!((f->sig == SigSEGV || f->sig == SigBUS) && nil) && !(f->sig == SigFPE && f->code == FpeIntdiv)) {
		return false;
	}
	gp->fault = *f;
	return true;
}

// Go's sigpanic, entered from sigpanic0 as if the faulting instruction
// had called it: the panic of the G's fault (sigcanpanic allowed only
// these).
void
sigpanic(void)
{
	struct g *gp = getg();
	if (gp->fault.sig == SigFPE) {
		gopanic("runtime error: integer divide by zero"); // Go's panicdivide
	}
	gopanic("runtime error: invalid memory address or nil pointer dereference"); // Go's panicmem
}

// Go's panicIndex and panicSlice*, for hood.h's bounds checks: the
// message is formatted into memory of its own, since recover hands it to
// the program, which may keep it past the panic's frames.
static _Noreturn void
panicbounds(const char *fmt, int64_t x, int64_t y)
{
	char *msg = mallocgc(96, FlagNoScan);
	snprintf(msg, 96, fmt, x, y);
	gopanic(msg);
}

void
runtime_panicindex(int64_t i, int64_t n)
{
	if (i < 0) {
		panicbounds("runtime error: index out of range [%ld]", i, 0);
	}
	panicbounds("runtime error: index out of range [%ld] with length %ld", i, n);
}

// Go's checks of a[lo:hi] in its order: hi against the capacity first,
// then lo against hi.
void
runtime_panicslice(int64_t lo, int64_t hi, int64_t cap)
{
	if (hi < 0) {
		panicbounds("runtime error: slice bounds out of range [:%ld]", hi, 0);
	}
	if (hi > cap) {
		panicbounds("runtime error: slice bounds out of range [:%ld] with capacity %ld", hi, cap);
	}
	if (lo < 0) {
		panicbounds("runtime error: slice bounds out of range [%ld:]", lo, 0);
	}
	panicbounds("runtime error: slice bounds out of range [%ld:%ld]", lo, hi);
}

// ---- the report -----------------------------------------------------------------------

// Go's printpanics: the oldest first, each later one indented under it.
static void
printpanics(struct panic *p)
{
	if (p->link != NULL) {
		printpanics(p->link);
		os_print("\t");
	}
	os_print("panic: %s%s\n", p->msg, p->recovered ? " [recovered]" : "");
}

// Go's fatalpanic: the panics, a fault's signal line, every goroutine,
// status 2.
static _Noreturn void
fatalpanic(struct panic *p)
{
	struct m *mp = acquirem(); // not preempted while it reports
	printpanics(p);
	if (mp->curg != NULL && mp->curg->fault.sig != 0) {
		printsignal(&mp->curg->fault);
	}
	tracebackothers(mp->curg); // after a blank line, as Go's
	os_exit(2);
}

// Go's line for a panic or fatal error that came from a fault
// (dopanic_m's), with Linux's signal names.
void
printsignal(const struct sigfault *f)
{
	const char *name = f->sig == SigFPE   ? "SIGFPE: floating-point exception"
			   : f->sig == SigBUS ? "SIGBUS: bus error"
					      : "SIGSEGV: segmentation violation";
	os_print("[signal %s code=0x%lx addr=0x%lx pc=0x%lx]\n", name, f->code, f->addr, f->pc);
}
