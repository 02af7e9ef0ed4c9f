// runtime.h: Go's scheduler in C. Read this beside Go's runtime/proc.go
// and runtime2.go; the names are theirs.
//
// Overview
//
// A G is a goroutine: a function running on a stack of its own. An M is a
// kernel thread (kernel/kthread.h) that runs Gs. A P is what an M must hold
// to run Gs: there are GOMAXPROCS Ps, each with a run queue of Gs ready to
// run, so that Ms usually take work from their own P without a lock.
//
//	        sched.runq (global, locked)        sched.pidle, sched.midle
//	              |                                 (idle Ps, idle Ms)
//	   P0 [runnext|runq 256]   P1 [runnext|runq 256]   ...
//	    |                       |
//	   M0 -- curg G            M1 -- curg G            sysmon: an M, no P
//	   (kthread, CPU 0)        (kthread, CPU 1)
//
// An M runs schedule() on its g0 stack (the kernel thread's own stack):
// it picks a G (every 61st tick the global queue first, then runnext and
// the local queue, then findrunnable: due timers of every P, the local and
// global queues, stealing half of another P's queue), and switches to it
// with gogo. A G leaves the CPU by
// switching back to g0 with mcall: to park (gopark), to yield (Gosched),
// to exit (goexit0), or because it was preempted. An M with nothing to do
// gives its P back and parks on its note; wakep starts an M (spinning, to
// look for work) when there is work and an idle P. A G that blocks in the
// machine (a kernel wait: a note, a mutex, console input) is in a syscall
// meanwhile, and its P goes to other Gs (syscall.c). The world stops, every
// P but the caller's, to change GOMAXPROCS and to dump all goroutines
// (stw.c).
//
// Files: proc.c (G status, bootstrap, a G's life), schedule.c (the loop),
// runq.c, lockosthread.c, syscall.c, stw.c, sysmon.c, traceback.c,
// stack.c, time.c, malloc.c; the knobs from the environment are
// runtime1.c's; the machine behind os.h is os_hood.c (bare metal) or
// os_linux.c, mem_linux.c, signal_linux.c, symtab_linux.c and
// lock_futex.c (the hosted port, os_linux.h, docs/hosted.md).
//
// Where hood differs from Go, and why:
//   - Preemption is asynchronous, at any instruction: sysmon pokes the
//     M's CPU, whose interrupt makes the G call asyncpreempt
//     (kernel/trapasm.asm), which saves all its registers and the FPU
//     state and calls gopreempt here. So `for (;;) {}` does
//     not starve others (go1.11.4 could not do this; Go 1.14 does it with
//     signals).
//   - Stacks never move: C keeps pointers into its stack. Each G reserves
//     a range of virtual memory (1 MiB by default, HOOD_STACK= in the
//     environment) with an unmapped guard region below (16 KiB); pages
//     are mapped by the page-fault handler as the stack grows (stack.c).
//   - Ms are kernel threads, which never leave their CPU; an M is started
//     (newm) when a P needs one, on the CPU of that P's id.
//   - What runs now is m->cur: curg, or g0 while the M is in the
//     scheduler, on the g0 stack of mcall or systemstack. Go keeps the
//     running G in a register (getg()) and needs no such field; C cannot
//     reserve a register, so getg() is getm()->cur, and every switch
//     between a G and g0 (execute, mcall, systemstack) sets it first.
//
// Fatal errors: three words, one rule (Go's throw and fatal, since 1.19).
//	throw("func: what")     hood is broken: an invariant of the runtime or
//	fatalf("func: %d", ...) the kernel does not hold, or the machine
//	                        lacks what hood cannot do without (memory for
//	                        its own structures). fatalf is throw with a
//	                        formatted message. The report is the
//	                        machine's: registers and a backtrace of every
//	                        CPU (kernel/panic.c; the hosted port's is
//	                        gothrow's).
//	gothrow("what")         the Go program is at fault, in a way Go makes
//	                        fatal (Go's fatal): deadlock, "go of nil func
//	                        value", stack overflow, more goroutines than
//	                        the stack region holds. The report is Go's:
//	                        "fatal error: what", then every goroutine's
//	                        traceback (traceback.c). The message is Go's,
//	                        without a function name.
// Both exit with status 2. Neither is for what a program can recover from
// (gopanic, STYLE.md's second level) or for a normal failure (a return
// value).
//
// Invariants:
//	a P is held by at most one M (pp->m, mp->p), and a G runs on at most
//	one M (gp->m, mp->curg);
//	a G in a run queue is _Grunnable; a G in _Gwaiting is in no run queue;
//	every status change goes through casgstatus, which checks the table
//	in proc.c;
//	runtime code that must not be preempted runs with m->locks > 0
//	(acquirem): gopreempt then leaves the G alone; so does the kernel
//	while the G's thread is pinned (a newlib lock held, a note slept on).
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/atomic.h"
#include "lib/switchframe.h"
#include "runtime/os.h"

// G status (Go's _Gidle ... _Gdead; the transitions are in proc.c).
enum {
	Gidle = 0,
	Grunnable = 1,
	Grunning = 2,
	Gsyscall = 3,
	Gwaiting = 4,
	Gdead = 6,
	// Or-ed into a status while another M looks at the G's stack (Go's
	// _Gscan): the G does not run until it is cleared.
	Gscan = 0x1000,
	Gscanwaiting = Gscan | Gwaiting,
};

// P status.
enum {
	Pidle = 0,
	Prunning = 1,
	Psyscall = 2,
	Pgcstop = 3,
	Pdead = 4,
};

// Wait reasons, as Go prints them in tracebacks ("goroutine 7 [sleep]:").
enum waitreason {
	waitReasonZero,
	waitReasonGoroutineParked, // "park" (test parks)
	waitReasonSleep,
	waitReasonChanReceiveNilChan,
	waitReasonChanSendNilChan,
	waitReasonChanReceive,
	waitReasonChanSend,
	waitReasonSelect,
	waitReasonSelectNoCases,
	waitReasonSemacquire,
	waitReasonSyncCondWait,
	waitReasonSyncMutexLock,
	waitReasonSyncRWMutexRLock,
	waitReasonSyncRWMutexLock,
	waitReasonSyncWaitGroupWait,
	waitReasonGCWorkerIdle,
	waitReasonWaitForGCCycle,
	waitReasonGCAssistWait,
	waitReasonFinalizerWait,
	waitReasonCount,
};

extern const char *const waitReasonStrings[waitReasonCount];

enum {
	RunqSize = 256,            // a P's local run queue
	GlobalRunqPeriod = 61,     // schedticks between looks at the global queue
	GoidCacheBatch = 16,       // goids a P takes at a time
	GfreeStackBatch = 1024,    // dead Gs whose stacks gfreestacks gives back at a time
	GfreeStackBatches = 4,     // batches a gfreestacks pass gives back at most
	ForcePreemptNS = 10000000, // sysmon preempts a G running this long (10 ms)
	StealTries = 4,            // rounds of stealing in findrunnable
	MaxGomaxprocs = 256,
	SudogCacheSize = 128, // a P's sudog cache (Go's p.sudogcache), half moved at a time
	DeferPoolSize = 32,   // a P's defer records (Go's pp.deferpool), half moved at a time
};

struct m;
struct p;
struct sudog;
struct defer;
struct panic;
struct deferframe;

// A G's saved context while it is not running: its stack pointer. The
// registers gogo restores (callee-saved, rflags, MXCSR and the x87
// control word) are on the stack below it, a struct gogoframe.
struct gobuf {
	uint64_t sp;
};

// The frame at gobuf.sp (asm_amd64.asm): what mcall_switch pushes, rflags
// and then lib/regs.inc's SWITCHSAVE frame, below the return address that
// gogo's ret takes. newproc1 builds one for a new G, returning into
// gostart with the G's function in r12 and its argument in r13.
struct gogoframe {
	struct switchframe regs;
	uint64_t rflags; // pushfq before SWITCHSAVE, popfq after SWITCHRESTORE
	uint64_t pc;     // where gogo's ret goes
};
_Static_assert(offsetof(struct gogoframe, rflags) == 56, "mcall_switch: pushfq, then SWITCHSAVE");
_Static_assert(offsetof(struct gogoframe, pc) == 64, "gogo: ret after popfq");
_Static_assert(sizeof(struct gogoframe) == 72, "gogo's ret leaves rsp just above the frame");

enum {
	// The rflags of a new G: IF (interrupts on) and bit 1, which is
	// always set (SDM vol. 1, 3.4.3). On the hosted port popfq leaves IF
	// alone.
	GoRflagsInit = 0x202,
	GoRflagsIF = 0x200,
};

struct g {
	// Owned by whoever holds the G: the M running it, the P whose free
	// list it is on, or an M that holds its Gscan bit (shrinkstack). Set
	// by malg, kept across reuse:
	uint64_t stacklo, stackhi; // the usable stack [lo, hi); the guard region is below lo
	uint64_t stackmapped;      // its pages are mapped from here up (or fewer: stack.c)
	uint64_t stackslot;        // its slot in the stack region (stack.c)
	void *libc;                // the C library's state for it (os_libcstate_new); NULL on g0
	// Set by newproc1 before the G is runnable: the runtime's own
	// (newsystemproc; Go's isSystemGoroutine): not counted by
	// NumGoroutine nor by checkdead, not dumped below GOTRACEBACK=system.
	bool system;

	// Owned by the M running it; set before a status change publishes
	// the G, and read by others only while it is stopped (Gscan held, or
	// the world stopped for a traceback):
	struct gobuf sched; // saved by the switch that takes it off the CPU
	int64_t goid;       // set by newproc1 before it is Grunnable
	struct m *m;        // the M running it, or NULL (execute, dropg)
	struct m *lockedm;  // LockOSThread: the only M that may run this G
	enum waitreason waitreason;
	int64_t waitsince;                            // parked by then; 0 until shrinkstack stamps it
	bool (*waitunlockf)(struct g *gp, void *arg); // gopark's, for park_m
	void *waitlock;
	uint64_t syscallpc, syscallbp; // where it entered its syscall, for tracebacks
	uint64_t syscallsp;            // the collector's: its live frames begin here meanwhile
	uint64_t syscallregs[12];      // and the registers they left pointers in (entersyscall)
	struct timer *timer;           // cached for time_sleep (time.c)
	struct sudog *waiting;         // the sudogs it waits with (chan.h; a select's, in lock order)
	// defer, panic and recover (panic.c), the G's own:
	struct deferframe *deferframe; // the innermost open deferscope block
	struct panic *panics;          // panics in progress, newest first
	const struct deferslot *deferrunning; // the deferred call running now (rundefer's copy)
	// The fault that sigpanic turns into a panic (os.h; Go's g.sig,
	// sigcode0, sigcode1 and sigpc), stored by the port's fault handler,
	// on the G's own thread, when os_setsigpanic's function says yes;
	// fault.sig is 0 otherwise and again once a panic recovers.
	struct sigfault fault;
	void *param;                   // set by its waker before goready: the sudog that woke it
	// Owned by the G's own thread, its interrupt or signal handler
	// included: the port made it call asyncpreempt, whose frame is still
	// on the G's stack (the port clears this as the call's last step); the
	// port injects no second call meanwhile, so calls never nest (os.h).
	bool asyncpreempt;

	// Atomic:
	uint32_t atomicstatus; // G status; changed only through casgstatus (the table in proc.c)
	bool preempt;          // sysmon asks it to yield (preemptone)
	uint32_t selectDone;   // a select's wakers CAS it 0 -> 1; the first wins (chan.c's waitq_dequeue)

	// Protected by the guard of the list it is on: sched.lock for
	// sched.runq and sched.gfree, the P's owner for pp->gfree:
	struct g *schedlink; // the link of gList and gQueue

	// Protected by allglock; set once, before allgadd publishes the G:
	struct g *alllink; // allgs
};

// Lists of Gs, linked through g.schedlink: Go's gList (a stack) and gQueue
// (a FIFO that can also be pushed at the head), proc.go. A G is on at most
// one of them at a time. As in Go 1.12, which introduced them (today's
// Go counts inside), the lists carry no count: the owner keeps one beside
// the list (sched.runqsize, sched.ngfree, pp->gfreecnt), since some are
// peeked at without the lock. The list itself is guarded by whatever
// guards the struct that holds it. Only the operations in use are here;
// Go's gQueue_popList comes with its first user.
struct gList {
	struct g *head;
};

struct gQueue {
	struct g *head;
	struct g *tail;
};

static inline bool
gList_empty(struct gList *l)
{
	return l->head == NULL;
}

static inline void
gList_push(struct gList *l, struct g *gp)
{
	gp->schedlink = l->head;
	l->head = gp;
}

// The head of l, removed, or NULL if l is empty.
static inline struct g *
gList_pop(struct gList *l)
{
	struct g *gp = l->head;
	if (gp != NULL) {
		l->head = gp->schedlink;
	}
	return gp;
}

// Put every G of q at the head of l, in q's order, and empty q.
static inline void
gList_pushAll(struct gList *l, struct gQueue *q)
{
	if (q->tail != NULL) {
		q->tail->schedlink = l->head;
		l->head = q->head;
		q->head = q->tail = NULL;
	}
}

// Put gp at the head of q.
static inline void
gQueue_push(struct gQueue *q, struct g *gp)
{
	gp->schedlink = q->head;
	q->head = gp;
	if (q->tail == NULL) {
		q->tail = gp;
	}
}

// Put gp at the tail of q.
static inline void
gQueue_pushBack(struct gQueue *q, struct g *gp)
{
	gp->schedlink = NULL;
	if (q->tail != NULL) {
		q->tail->schedlink = gp;
	} else {
		q->head = gp;
	}
	q->tail = gp;
}

// The head of q, removed, or NULL if q is empty.
static inline struct g *
gQueue_pop(struct gQueue *q)
{
	struct g *gp = q->head;
	if (gp != NULL) {
		q->head = gp->schedlink;
		if (q->head == NULL) {
			q->tail = NULL;
		}
	}
	return gp;
}

struct m {
	// Set when the M is made (newm, mcommoninit, the port's thread
	// start), then read-only:
	struct g *g0;           // the scheduler's context: this kernel thread's stack
	int64_t id;             // from sched.mnext, under sched.lock
	void *thread;           // the machine's thread that is this M (the port's)
	void (*mstartfn)(void); // run instead of schedule (sysmon)

	// Owned by this M; no lock. (Its preemption, gopreempt, runs on
	// the M itself and reads them too.)
	struct g *cur;  // what runs now: curg, or g0 in the scheduler (see the overview)
	struct p *p;    // the P held, or NULL
	struct p *oldp; // the P it had before its syscall (exitsyscall)
	// > 0: do not preempt (runtime locks held). acquirem increments it
	// and releasem decrements it; every acquirem has its releasem, which
	// at 0 takes a preemption asked for meanwhile.
	int locks;
	const char *preemptoff; // why the world is stopped, by this M
	bool mallocing;         // in mallocgc (malloc.c): a re-entry is "malloc deadlock"
	uint64_t fastrand;      // seeded by mcommoninit
	struct g *lockedg;      // LockOSThread: the only G this M runs
	// LockOSThread calls not yet undone, and the runtime's own locks of
	// the M (exitsyscall); the M and its G stay wired while either is
	// nonzero (Go's lockedExt and lockedInt).
	uint32_t lockedExt;
	uint32_t lockedInt;

	// Written by whoever wakes the M (startm, newm, startlockedm,
	// startTheWorld) before the notewakeup of park, then by the M:
	struct p *nextp;  // the P to take when started
	bool spinning;    // looking for work without any; if set, the M is counted in sched.nmspinning
	struct note park; // parked on when idle (stopm)

	// Protected by sched.lock:
	struct m *schedlink; // sched.midle, sched.freem
	struct m *alllink;   // allm; set before the M is put in allm, never changed

	// Atomic:
	struct g *curg; // relaxed: sysmon peeks; the G running on this M, or NULL
	bool exited;    // its locked G exited: its thread ended, or (m0) parks for good
	// 1 from mexit until the ending thread no longer uses the M
	// (os_exitthread stores 0, release); newm reuses it only then (Go's
	// freeWait).
	uint32_t freewait;
};

struct p {
	int32_t id;
	struct p *link; // sched.pidle; protected by sched.lock

	// Atomic: the P status. Stored with release by the M that holds the P
	// (acquirep, releasep, entersyscall: seq_cst there) or by the world
	// stopper (stopTheWorld, procresize); changed by CAS where two Ms race
	// for a P in Psyscall (exitsyscall, sysmon's retake, stopTheWorld).
	// Loaded with acquire by sysmon, stopTheWorld, preemptall and thieves
	// (runqgrab): what the holder wrote before the store is visible then.
	uint32_t status;
	// Atomic, relaxed: counters sysmon (retake) compares between two looks
	// to see a P stuck on one G or in one syscall; a stale value only
	// delays a retake by one look. schedtick is written by the owner
	// (execute), syscalltick by whoever ends or takes over a syscall.
	uint32_t schedtick;
	uint32_t syscalltick;
	struct m *m; // Atomic, relaxed: the M holding it; sysmon peeks (preemptone)

	// The local run queue: a lock-free ring of RunqSize written only by
	// the owning M (runqput advances tail) and read by thieves too (CAS
	// on head). runnext, if set, runs before the queue (a G readied by
	// the running G inherits the time slice). The protocol is at the top
	// of runq.c.
	uint32_t runqhead;        // Atomic: CAS-release by takers; load-acquire before a slot is reused
	uint32_t runqtail;        // Atomic: store-release by the owner after the slot; thieves load-acquire
	struct g *runq[RunqSize]; // Atomic, relaxed: published by runqtail, retired by runqhead
	struct g *runnext;        // Atomic: exchanged and CAS-ed acq_rel by the owner and thieves

	// Owned by the P: its allocation cache (malloc.h), made at its first
	// mallocgc.
	struct mcache *mcache;

	// Owned by the P: dead Gs, with their stacks, for reuse.
	struct gList gfree;
	int32_t gfreecnt; // Gs in gfree
	int64_t goidcache, goidcacheend;

	// Owned by the P: free sudogs (chan.c's acquireSudog, Go's
	// p.sudogcache), half of them to or from sched.sudogcache at a time.
	struct sudog *sudogcache[SudogCacheSize];
	int32_t nsudog;
	// Owned by the P: free defer records (panic.c, Go's pp.deferpool).
	struct defer *deferpool[DeferPoolSize];
	int32_t ndeferpool;

	// Timers (time.c): a 4-ary heap ordered by when.
	struct spinlock timerslock;
	struct timer **timers;  // Protected by timerslock
	int ntimers, timerscap; // Protected by timerslock
	// Atomic: when of timers[0], or 0. Stored with release under
	// timerslock after every change of the heap (time.c's setwhen0); read
	// with acquire, without the lock, by whoever decides whether to take
	// it (schedule, runalltimers, handoffp, checktimers, nexttimer).
	int64_t timer0when;
};

struct schedt {
	struct spinlock lock;

	// Free sudogs beyond the Ps' caches, linked through next.
	struct spinlock sudoglock;
	struct sudog *sudogcache; // Protected by sudoglock
	// Free defer records beyond the Ps' pools, linked through link.
	struct spinlock deferlock;
	struct defer *deferpool; // Protected by deferlock

	// Protected by lock:
	struct m *midle;    // idle Ms
	struct m *freem;    // Ms whose threads ended, for newm to reuse (Go's sched.freem)
	int32_t nmidle;     // Ms in midle; whoever increases it calls checkdead (Go's rule; stopm)
	int64_t mnext;      // next M id
	struct p *pidle;    // idle Ps
	struct gQueue runq; // the global run queue (runq.c's globrunq*)
	// Gs in runq. And Atomic: stored relaxed under lock, peeked at
	// without it as a hint that is checked again under lock (schedule,
	// findrunnable, handoffp, sysmon); the lock's release publishes the
	// queue itself.
	int32_t runqsize;
	// Dead Gs from Ps with too many (Go's sched.gFree), by how long they
	// have been there (proc.c's gfreestacks):
	struct gQueue gfree;       // since sysmon's last pass, with their stacks
	struct gList gfreeold;     // since a pass before, with their stacks: the latest pass's first
	struct gList gfreenostack; // with none of their stack mapped
	// Gs in the three; and Atomic, relaxed: gfget peeks at it without the
	// lock (a hint).
	int32_t ngfree;
	// And Atomic: sysmon sleeps on sysmonnote until a P runs. Stored
	// relaxed under lock (sysmon, acquirep, startTheWorld); acquirep's
	// peek without the lock is re-checked under it.
	bool sysmonwait;
	struct note sysmonnote;
	int32_t stopwait;     // Ps that stopTheWorld still waits for
	struct note stopnote; // woken when stopwait reaches 0
	// And Atomic: the world stops. Stored seq_cst under lock by
	// stopTheWorld and startTheWorld; the store pairs with entersyscall's
	// seq_cst store of Psyscall then load of gcwaiting (Dekker: either
	// stopTheWorld's CAS sees Psyscall or entersyscall sees gcwaiting).
	// Loaded with acquire by schedule, findrunnable and sysmon.
	bool gcwaiting;

	// Atomic, sequentially consistent read-modify-writes, Dekker-style
	// against the run queues: see "Spinning Ms" at the top of schedule.c.
	// npidle is changed only under lock (pidleput, pidleget) and read
	// without it (wakep, resetspinning, sysmon); nmspinning is changed by
	// the spinning Ms themselves and by wakep's CAS from 0 to 1.
	uint32_t npidle;
	uint32_t nmspinning;
	int64_t goidgen; // Atomic, relaxed: a counter; Ps take GoidCacheBatch goids at a time
};

extern struct schedt sched;
extern struct p *allp[MaxGomaxprocs];
// Atomic: stored with release by procresize (the world stopped), after
// the new Ps in allp; loaded with acquire by gomaxprocs_set, relaxed by
// loadgomaxprocs.
extern int32_t gomaxprocs;

// gomaxprocs for readers that run while procresize may change it (sysmon,
// idle Ms): a relaxed load. A stale count is safe: Ps are never freed.
static inline int32_t
loadgomaxprocs(void)
{
	// Relaxed, though it meets procresize's store-release: a reader that
	// sees a larger count then reads the new allp entries. x86-64 does
	// not reorder loads with later loads, so it sees them; the C model
	// would want an acquire here (same instruction on x86-64).
	return atomic_load_relaxed(&gomaxprocs);
}
extern struct m *allm;
extern struct m m0;
extern bool mainStarted;
extern struct spinlock allglock;
extern struct g *allgs; // Protected by allglock; prepended to, never shortened

// Timers (time.c): f(arg, seq) runs on the M of the P whose heap holds the
// timer, at or after when (nanotime). Go's runtime.timer.
struct timer {
	// Set by the owner while the timer is in no heap:
	int64_t when;
	void (*f)(void *arg, uint64_t seq);
	void *arg;
	uint64_t seq;

	// Protected by pp->timerslock:
	// The P whose heap holds it, or NULL. And Atomic: deltimer loads it
	// without the lock to know which lock to take, then checks under it.
	struct p *pp;
	int idx; // its index in that heap
};

// The debug variables from GODEBUG (parseknobs, runtime1.c; read at boot
// by parsedebugvars, debug.c).
struct dbgvars {
	int32_t schedtrace;  // ms between SCHED lines, 0 for none
	int32_t scheddetail; // more lines per SCHED
	int32_t scavenge;    // Atomic (a test sets it): 1, sysmon's scavenger every 10 ms
	int32_t gctrace;     // 1: a line of Go's format at each collection (mgc.c)
	int32_t gcstoptheworld; // 1: mark with the world stopped, no concurrent phase (mgc.c)
	int32_t gccheckmark;    // 1: after each mark, mark again with the world stopped and compare
	int32_t forcegcperiod;  // Atomic (a test sets it): ms without a cycle before sysmon forces one; 0: 2 min
};
extern struct dbgvars debug;

// GOTRACEBACK's levels (Go's setTraceback: by name, or 0, 1, 2).
enum { TracebackNone, TracebackSingle, TracebackAll, TracebackSystem, TracebackCrash };

// The other knobs from the environment (runtime1.c), set once by
// schedinit before the stacks and the Ps; read-only after.
struct knobs {
	int32_t gomaxprocs; // GOMAXPROCS; 0: not set (the number of CPUs)
	int32_t gcpercent;  // GOGC; -1: off; 100 when not set (Go's readGOGC)
	int32_t traceback;  // GOTRACEBACK: Traceback*, TracebackSingle when not set
	int64_t stacksize;  // HOOD_STACK: bytes of a goroutine stack; 0: not set
};
extern struct knobs knobs;

// runtime1.c
void parsedebugvars(void);
bool parseknobs(const char *(*getenv)(const char *), struct knobs *k, struct dbgvars *d, char *err,
		size_t errlen);
// GODEBUG's settings that will not take effect, one warn(msg) each, once per
// name: unknown names, Go's names hood does not read, parts without "=".
void godebug_check(const char *val, void (*warn)(const char *msg));

// proc.c
void schedinit(void);
void mcommoninit(struct m *mp);
void mseed(struct m *mp);
void newproc(void (*fn)(void *), void *arg);
void newsystemproc(void (*fn)(void *), void *arg);
void gfpurge(struct p *pp, int32_t keep);
void gfreestacks(void);
void gopark(bool (*unlockf)(struct g *gp, void *arg), void *arg, enum waitreason reason);
void goready(struct g *gp);
void gosched(void);
void goyield(void);
void gopreempt(void);
int numgoroutine(void);
void goexit1(void) __attribute__((noreturn));
void casgstatus(struct g *gp, uint32_t from, uint32_t to);
uint32_t readgstatus(struct g *gp);
bool castogscanstatus(struct g *gp, uint32_t from);
void casfrom_Gscanstatus(struct g *gp, uint32_t from, uint32_t to);
const char *gstatusstring(struct g *gp);
void rt0_go(void) __attribute__((noreturn));
void systemstack(void (*fn)(void *), void *arg);
void mcall(void (*fn)(struct g *gp));
void dropg(struct m *mp);
uint64_t fastrand64(void);
uint32_t fastrand(void);
uint32_t fastrandn(uint32_t n);

// The M and G of the running code, Go's getg and acquirem, inline: they
// are on every allocation's path (malloc and free took four calls each
// for them). getm: NULL on a thread that is not an M. acquirem: pin the
// running G to its M (no preemption) and return the M; the port reads the
// M and raises its count as one step, so a preemption cannot move the G
// between the two (os.h); NULL, with nothing raised, on a thread that is
// not an M. releasem: undo acquirem; if a preemption was asked for
// meanwhile, take it now.
static inline struct m *
getm(void)
{
	return os_getm();
}

static inline struct g *
getg(void)
{
	return os_getg();
}

static inline struct m *
acquirem(void)
{
	return os_acquirem();
}

static inline void
releasem(struct m *mp)
{
	// A compiler barrier (a signal fence): every store made while the M
	// was acquired comes before the decrement that lets the preemption
	// signal or interrupt, on this same thread, stop the G. Without it
	// gcc moved mallocgc's "mallocing = false" after the decrement; a
	// preemption in between left the M marked in malloc while it ran
	// another G (fatal error: malloc deadlock, TestGCWhileGoroutinesAllocate,
	// about one run in ten with the world stopped that often).
	atomic_signalfence();
	// Load-acquire of preempt; pairs with the store-release in
	// preemptone (stw.c), as gopreempt's does.
	if (--mp->locks == 0 && mp->curg != NULL && mp->cur == mp->curg &&
	    atomic_load_acq(&mp->curg->preempt)) {
		gopreempt();
	}
}

// A runtime spinlock taken by a goroutine, as Go's lock() takes one: the
// M acquired too (m.locks), so that no preemption switches the G away
// while it holds the lock (a G on the same thread would find it "already
// held"; on bare metal interrupts stay off meanwhile). The G may park
// holding it: goparkunlock lets it go once the G is off its stack, so a
// waker that takes it from then on finds the G parked (Go's goparkunlock).
static inline void
spin_lockm(struct spinlock *l)
{
	acquirem();
	spin_lock(l);
}

static inline void
spin_unlockm(struct spinlock *l)
{
	spin_unlock(l);
	releasem(getm());
}

void goparkunlock(struct spinlock *l, enum waitreason reason);

// schedule.c
void mstart(struct m *mp) __attribute__((noreturn));
void schedule(void) __attribute__((noreturn));
void execute(struct g *gp, bool inheritTime) __attribute__((noreturn));
void stopm(int64_t until);
void startm(struct p *pp, bool spinning);
void wakep(void);
void newm(struct p *pp, bool spinning, void (*fn)(void));
void acquirep(struct p *pp);
struct p *releasep(void);
void handoffp(struct p *pp);
void pidleput(struct p *pp);
struct p *pidleget(void);
void mput(struct m *mp);
struct m *mget(void);

// lockosthread.c
void lockOSThread(void);
void unlockOSThread(void);
void stoplockedm(void);
void startlockedm(struct g *gp);
void mexit(void) __attribute__((noreturn));

// syscall.c
bool entersyscall(void);
void exitsyscall(void);

// stw.c
void stopTheWorld(const char *reason);
void startTheWorld(void);
void gcstopm(void);
bool preemptone(struct p *pp);
struct p *procresize(int32_t nprocs);
int32_t gomaxprocs_set(int32_t n);

// sysmon.c
void sysmon(void);
void checkdead(void);
void schedtrace(bool detailed);

// traceback.c
void tracebackothers(struct g *me);

// panic.c
void gopanic(const char *msg) __attribute__((noreturn));
bool sigcanpanic(const struct sigfault *f);
void sigpanic0(void); // asm_amd64.asm
void sigpanic(void) __attribute__((noreturn));
void printsignal(const struct sigfault *f);
void rundefers(void);
int goroutinestack(char *buf, int len, bool all);
void gothrow(const char *msg) __attribute__((noreturn));

// runq.c
void runqput(struct p *pp, struct g *gp, bool next);
struct g *runqget(struct p *pp, bool *inheritTime);
struct g *runqsteal(struct p *pp, struct p *victim, bool stealRunNextG);
bool runqempty(struct p *pp);
uint32_t runqlen(struct p *pp);
void globrunqput(struct g *gp);
void globrunqputhead(struct g *gp);
struct g *globrunqget(struct p *pp, int32_t max);

// alg.c
void alginit(void);

// malloc.c
void *persistentalloc(uint64_t size, uint64_t align);
void *persistentallocnoscan(uint64_t size, uint64_t align);
void mallocinit(void);

// stack.c
void stackinit(void);
bool stackalloc(struct g *gp);
void stacktrim(struct g *gp);
void stackfreebatch(struct gList *l);
void stackmaptop(struct g *gp);
void shrinkstacks(int64_t parkedby);
uint64_t stacksize(void);

// time.c
void addtimer(struct timer *t);
void movetimers(struct p *dst, struct p *src);
bool deltimer(struct timer *t);
int64_t checktimers(struct p *pp, int64_t now);
int64_t nexttimer(void);
void time_sleep(int64_t ns);

// asm_amd64.asm
void gogo(struct gobuf *buf) __attribute__((noreturn));
void mcall_switch(struct gobuf *save, void (*fn)(struct g *gp), struct g *gp, uint64_t g0sp);
void gostart(void);
void systemstack_switch(void (*fn)(void *), void *arg, uint64_t sp);
