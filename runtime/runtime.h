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
// stack.c, time.c, malloc.c; the machine behind os.h is os_hood.c (bare
// metal) or os_linux.c and lock_futex.c (the hosted port, docs/hosted.md).
//
// Where hood differs from Go, and why:
//   - Preemption is asynchronous, at any instruction: sysmon pokes the
//     M's CPU, whose interrupt makes the G call asyncpreempt
//     (kernel/trapasm.asm), which saves all its registers and the FPU
//     state and calls preempthook here. So `for (;;) {}` does
//     not starve others (go1.11.4 could not do this; Go 1.14 does it with
//     signals).
//   - Stacks never move: C keeps pointers into its stack. Each G reserves
//     a range of virtual memory (1 MiB by default, stack= on the boot
//     command line) with an unmapped guard page below; pages are mapped by
//     the page-fault handler as the stack grows (stack.c).
//   - Ms are kernel threads, which never leave their CPU; an M is started
//     (newm) when a P needs one, on the CPU of that P's id.
//
// Invariants:
//	a P is held by at most one M (pp->m, mp->p), and a G runs on at most
//	one M (gp->m, mp->curg);
//	a G in a run queue is _Grunnable; a G in _Gwaiting is in no run queue;
//	every status change goes through casgstatus, which checks the table
//	in proc.c;
//	runtime code that must not be preempted runs with m->locks > 0
//	(acquirem): preempthook then leaves the G alone; so does the kernel
//	while the G's thread is pinned (a newlib lock held, a note slept on).
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
	waitReasonChanReceive,
	waitReasonChanSend,
	waitReasonSelect,
	waitReasonSelectNoCases,
	waitReasonSemacquire,
	waitReasonCount,
};

extern const char *const waitReasonStrings[waitReasonCount];

enum {
	RunqSize = 256,            // a P's local run queue
	GlobalRunqPeriod = 61,     // schedticks between looks at the global queue
	GoidCacheBatch = 16,       // goids a P takes at a time
	ForcePreemptNS = 10000000, // sysmon preempts a G running this long (10 ms)
	StealTries = 4,            // rounds of stealing in findrunnable
	MaxGomaxprocs = 256,
};

struct m;
struct p;

// A G's saved context while it is not running: its stack pointer. The
// registers gogo restores (callee-saved, rflags, MXCSR and the x87
// control word) are on the stack below it (asm_amd64.asm).
struct gobuf {
	uint64_t sp;
};

struct g {
	// Owned by the M running the G, or by whoever changes its status:
	uint64_t stacklo, stackhi; // the usable stack [lo, hi); the guard page is below lo
	uint64_t stackmapped;      // its pages are mapped from here up (or fewer: stack.c)
	struct gobuf sched;
	uint32_t atomicstatus; // Atomic: G status
	int64_t goid;
	struct m *m;  // the M running it, or NULL
	bool preempt; // Atomic: sysmon asks it to yield
	enum waitreason waitreason;
	int64_t waitsince;   // nanotime when it parked
	struct g *schedlink; // global run queue, free lists
	struct g *alllink;   // allgs
	void (*startfn)(void *arg);
	void *startarg;
	uint64_t stackslot;                           // its slot in the stack region (stack.c)
	struct timer *timer;                          // cached for time_sleep (time.c)
	void *param;                                  // passed by whoever readies it
	bool (*waitunlockf)(struct g *gp, void *arg); // gopark's, for park_m
	void *waitlock;
	struct m *lockedm;             // LockOSThread: the only M that may run this G
	uint64_t syscallpc, syscallbp; // where it entered its syscall, for tracebacks
	void *libc;                    // the C library's state for it (os_libcstate_new); NULL on g0
};

struct m {
	struct g *g0;    // the scheduler's context: this kernel thread's stack
	struct g *curg;  // Atomic (relaxed: sysmon peeks): the G running on this M, or NULL
	struct g *cur;   // what runs now: curg, or g0 in the scheduler
	struct p *p;     // the P held, or NULL
	struct p *nextp; // the P to take when started
	struct p *oldp;  // the P it had before its syscall (exitsyscall)
	int64_t id;
	int locks;              // > 0: do not preempt (runtime locks held)
	const char *preemptoff; // why the world is stopped, by this M
	bool spinning;          // looking for work without any
	struct note park;       // parked on when idle
	struct m *schedlink;    // sched.midle
	struct m *alllink;      // allm
	void *thread;           // the machine's thread that is this M (the port's)
	uint64_t fastrand;
	void (*mstartfn)(void); // run instead of schedule (sysmon)
	struct g *lockedg;      // LockOSThread: the only G this M runs
	uint32_t lockedExt;     // LockOSThread calls not yet undone
	uint32_t lockedInt;     // the runtime's own locks to the M (exitsyscall)
	bool exited;            // Atomic: its locked G exited: its thread ended, or (m0) parks for good
};

struct p {
	int32_t id;
	uint32_t status;      // Atomic: P status
	struct p *link;       // sched.pidle
	uint32_t schedtick;   // Atomic: incremented on every scheduler call, by the owner
	uint32_t syscalltick; // Atomic: incremented on every return from a syscall
	struct m *m;          // Atomic (relaxed: sysmon peeks): the M holding it

	// The local run queue: a lock-free ring of RunqSize written only by
	// the owning M (runqput advances tail) and read by thieves too (CAS
	// on head). runnext, if set, runs before the queue (a G readied by
	// the running G inherits the time slice).
	uint32_t runqhead; // Atomic
	uint32_t runqtail; // Atomic
	struct g *runq[RunqSize];
	struct g *runnext; // Atomic

	// Owned by the P: dead Gs, with their stacks, for reuse.
	struct g *gfree;
	int32_t gfreecnt;
	int64_t goidcache, goidcacheend;

	// Timers (time.c): a 4-ary heap ordered by when.
	struct spinlock timerslock;
	struct timer **timers;  // Protected by timerslock
	int ntimers, timerscap; // Protected by timerslock
	int64_t timer0when;     // Atomic: when of timers[0], or 0
};

struct schedt {
	struct spinlock lock;

	// Protected by lock:
	struct m *midle; // idle Ms
	int32_t nmidle;
	int64_t mnext;                 // next M id
	struct p *pidle;               // idle Ps
	struct g *runqhead, *runqtail; // the global run queue
	int32_t runqsize;
	struct g *gfree; // dead Gs from Ps with too many
	int32_t ngfree;  // and Atomic: gfget peeks at it without the lock
	bool sysmonwait; // and Atomic (acquirep peeks): sysmon sleeps on sysmonnote until a P runs
	struct note sysmonnote;
	int32_t stopwait;     // Ps that stopTheWorld still waits for
	struct note stopnote; // woken when stopwait reaches 0
	bool gcwaiting;       // Atomic (written under lock): the world stops

	uint32_t npidle;     // Atomic
	uint32_t nmspinning; // Atomic
	int64_t goidgen;     // Atomic
};

extern struct schedt sched;
extern struct p *allp[MaxGomaxprocs];
extern int32_t gomaxprocs; // Atomic: stored by procresize (the world stopped)

// gomaxprocs for readers that run while procresize may change it (sysmon,
// idle Ms): a relaxed load. A stale count is safe: Ps are never freed.
static inline int32_t
loadgomaxprocs(void)
{
	return __atomic_load_n(&gomaxprocs, __ATOMIC_RELAXED);
}
extern struct m *allm;
extern struct m m0;
extern bool mainStarted;
extern struct spinlock allglock;
extern struct g *allgs; // Protected by allglock; prepended to, never shortened

// The debug variables from GODEBUG (parsedebugvars).
struct dbgvars {
	int32_t schedtrace;  // ms between SCHED lines, 0 for none
	int32_t scheddetail; // more lines per SCHED
	int32_t scavenge;    // Atomic (a test sets it): 1, sysmon's scavenger every 10 ms
};
extern struct dbgvars debug;

// proc.c
void schedinit(void);
void mcommoninit(struct m *mp);
void newproc(void (*fn)(void *), void *arg);
void gopark(bool (*unlockf)(struct g *gp, void *arg), void *arg, enum waitreason reason);
void goready(struct g *gp);
void gosched(void);
int numgoroutine(void);
void goexit1(void) __attribute__((noreturn));
void casgstatus(struct g *gp, uint32_t from, uint32_t to);
uint32_t readgstatus(struct g *gp);
bool castogscanstatus(struct g *gp, uint32_t from);
void casfrom_Gscanstatus(struct g *gp, uint32_t from, uint32_t to);
const char *gstatusstring(struct g *gp);
struct g *getg(void);
struct m *getm(void);
void rt0_go(void) __attribute__((noreturn));
struct m *acquirem(void);
void systemstack(void (*fn)(void *), void *arg);
void releasem(struct m *mp);
void mcall(void (*fn)(struct g *gp));
void dropg(struct m *mp);
uint32_t fastrandn(uint32_t n);

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

// malloc.c
void *persistentalloc(uint64_t size, uint64_t align);

// stack.c
void stackinit(void);
bool stackalloc(struct g *gp);
void stacktrim(struct g *gp);
void shrinkstack(struct g *gp, int64_t parkedby);
uint64_t stacksize(void);

// time.c
struct timer {
	int64_t when;
	void (*f)(void *arg, uint64_t seq);
	void *arg;
	uint64_t seq;
	struct p *pp; // the P whose heap holds it, while it is in one
	int idx;      // its index in that heap
};
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
