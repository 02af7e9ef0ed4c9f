// os_hood.c: the machine interface (os.h) on hood's own kernel: Ms are
// kernel threads (kernel/kthread.h), the M of the running thread is its
// kthread's rt field, preemption is kthread_poke plus the kernel's
// asyncpreempt, and goroutine stacks are a region of the address space
// whose pages the page-fault handler maps; the runtime's memory is mapped
// by kernel/vm.c, whose page tables' dirty bits os_dirtyscan reads. The
// environment is the boot command line's (kernel/cmdline.h), and newlib
// finds each goroutine's state through the hook this file registers
// (lib/newlib/libc.h). This is the only runtime file that includes
// kernel or C-library-port headers.

#include <errno.h>
#include <malloc.h>
#include <reent.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/cmdline.h"
#include "kernel/cpu.h"
#include "kernel/kernel.h"
#include "kernel/kthread.h"
#include "kernel/memlayout.h"
#include "kernel/smp.h"
#include "kernel/trap.h"
#include "kernel/x86.h"
#include "lib/atomic.h"
#include "include/hood.h"
#include "lib/newlib/libc.h"
#include "runtime/runtime.h"

static bool (*stackfaultfn)(uint64_t addr, bool write);
static bool (*sigpanicfn)(const struct sigfault *f);
static struct _reent *libcstate(void);
static bool sigpanictrap(struct trapframe *tf);
static void faulttrap(struct trapframe *tf, void *arg);

// newlib asks libcstate for the running goroutine's state from now on;
// before, every thread used the global structure anyway.
void
osinit(void)
{
	libc_setstatehook(libcstate);
}

int
os_main(void)
{
	return main();
}

int32_t
os_ncpu(void)
{
	return ncpu;
}

// The environment is the boot command line's KEY=VALUE words that are
// not the kernel's own (kernel/cmdline.h).
const char *
os_getenv(const char *name)
{
	return cmdline_getenv(&bootargs, name);
}

int
os_print(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vkprintf(fmt, ap);
	va_end(ap);
	return n;
}

// Start a kernel thread on CPU cpu running fn(mp).
void
os_newosproc(struct m *mp, int cpu, void (*fn)(void *mp))
{
	char name[24];
	snprintf(name, sizeof name, "m%ld", mp->id);
	mp->thread = kthread_create(fn, mp, name, cpu);
}

void
os_setm(struct m *mp)
{
	struct kthread *t = kthread_current();
	t->rt = mp;
	mp->thread = t;
}

struct m *
os_getm(void)
{
	return kthread_current()->rt;
}

// The M and its lock count in one step: a preemption cannot come between.
struct m *
os_acquirem(void)
{
	pushcli();
	struct m *mp = mycpu()->current->rt;
	if (mp != NULL) {
		mp->locks++;
	}
	popcli();
	return mp;
}

struct g *
os_getg(void)
{
	pushcli();
	struct m *mp = mycpu()->current->rt;
	struct g *gp = mp->cur;
	popcli();
	return gp;
}

// The top of the running kernel thread's stack, less a little for the
// frames above mstart: g0's stack.
uint64_t
os_threadstacktop(void)
{
	return (readrsp() & ~15ULL) - 256;
}

// Interrupts off, without pushcli's count: for the moment before gogo,
// which restores the next G's flags.
void
os_intr_off(void)
{
	cli();
}

// One step of a spin-wait (Go's procyield): a pause, and any cross-CPU
// call posted to us meanwhile, since the one we wait for may be waiting
// for us to answer it (a TLB shootdown, say).
void
os_procyield(void)
{
	smp_poll();
	cpu_pause();
}

// The kernel's wall clock: the RTC at boot, moved on by the TSC.
int64_t
os_walltime(void)
{
	return walltime();
}

// A short wait, spinning: shorter than any sleep the kernel's timers
// would give.
void
os_usleep(int64_t us)
{
	uint64_t end = nanotime() + us * 1000;
	while (nanotime() < end) {
		cpu_pause();
	}
}

// The running M's kernel thread ends (an M whose locked G exited).
void
os_exitthread(uint32_t *freewait)
{
	// The kernel thread forgets its M first, so that an interrupt from now
	// on (preempthook) finds none; kthread_exit touches only the thread,
	// which the kernel frees after it: the M forgets it too (relaxed, as
	// on Linux: nobody pokes an M that holds no P).
	struct kthread *t = kthread_current();
	atomic_store_relaxed(&((struct m *)t->rt)->thread, NULL);
	t->rt = NULL;
	// Store-release: done with the M; pairs with the load-acquire in
	// newm, which may hand it to a new thread.
	atomic_store_rel(freewait, 0);
	kthread_exit();
}

bool
os_asyncpreempt(void)
{
	return true;
}

bool
os_pinned(void)
{
	struct kthread *t = kthread_current();
	return t != NULL && t->nopreempt > 0;
}

void
os_stackunwound(uint64_t lo, uint64_t hi)
{
	(void)lo;
	(void)hi;
}

bool
os_faultstacks(void)
{
	return true;
}

bool
os_preemptm(struct m *mp)
{
	// Relaxed: NULL once the M's thread ended (os_exitthread).
	struct kthread *t = atomic_load_relaxed(&mp->thread);
	return t != NULL && kthread_poke(t);
}

static void (*runtimepreempt)(void);

// The G's asyncpreempt flag (runtime.h) on bare metal: trap() asks
// preemptok before it injects a call, with interrupts off, and preemptok
// marks the G whose stack the call goes on (g0 for the thread's own) if
// the call will reach the runtime; the call clears the mark in
// preempthook, as its last step with interrupts on, and turns them off
// first, so no poke can nest a second call below the first between the
// two (from preempted's sti to here interrupts are on;
// TestPreemptPokesDoNotNest flooded a goroutine's stack into its guard
// before). The stack, not mp->cur: mcall and systemstack set cur to g0
// just before they switch. Only kernel threads that are Ms run Go code to
// preempt, and preempted() calls the hook only for a thread not pinned
// (nopreempt), which cannot change between the injection and the call:
// the thread itself changes it.
static struct g *
stackg(struct m *mp, uint64_t sp)
{
	struct g *gp = mp->curg;
	if (gp != NULL && sp > gp->stacklo && sp <= gp->stackhi) {
		return gp;
	}
	return mp->g0;
}

static bool
preemptok(uint64_t sp)
{
	struct kthread *t = kthread_current();
	struct m *mp = t->rt;
	if (mp == NULL || mp->g0 == NULL || t->nopreempt != 0) {
		return true; // the kernel's time slice only: preempthook will not run
	}
	struct g *gp = stackg(mp, sp);
	if (gp->asyncpreempt) {
		return false;
	}
	gp->asyncpreempt = true;
	return true;
}

static void
preempthook(void)
{
	if (kthread_current()->rt == NULL) {
		return;
	}
	runtimepreempt();
	// The G may have come back on another M: the mark is on the G. No g0
	// yet (an M starting): preemptok marked nothing.
	cli(); // preempted's own, early
	struct g *gp = stackg(kthread_current()->rt, (uint64_t)__builtin_frame_address(0));
	if (gp != NULL) {
		gp->asyncpreempt = false;
	}
}

void
os_preempthook(void (*fn)(void))
{
	runtimepreempt = fn;
	kthread_preemptok = preemptok;
	kthread_preempthook = preempthook;
}

void
os_syscallhooks(bool (*enter)(void), void (*exit)(void))
{
	kthread_entersyscall = enter;
	kthread_exitsyscall = exit;
}

// newlib's reentrancy structure of each goroutine: its errno, strtok's
// and rand's state and the like (lib/newlib/libc.h). stdin, stdout
// and stderr are shared (global stdio streams, locked: lib/newlib/locks.c).
// A G keeps its structure across the goroutines it runs; each starts with
// errno 0. Kernel threads and g0 use the global one.

void *
os_libcstate_new(void)
{
	struct _reent *r = persistentalloc(sizeof *r, 16);
	_REENT_INIT_PTR(r);
	return r;
}

void
os_libcstate_reset(void *st)
{
	((struct _reent *)st)->_errno = 0;
}

// Nothing to move at a switch: newlib finds the running G's structure
// through libcstate at every access (os.h).
void
os_libcstate_save(void *st)
{
	(void)st;
}

void
os_libcstate_load(void *st)
{
	(void)st;
}

// The hook of libcstate.h: the running goroutine's structure, or NULL.
// Interrupts off across the reads, so that the thread, its M and its G
// are one moment's.
static struct _reent *
libcstate(void)
{
	pushcli();
	struct kthread *t = mycpu()->current;
	struct m *mp = t != NULL ? t->rt : NULL;
	struct g *gp = mp != NULL ? mp->cur : NULL;
	popcli();
	return gp != NULL ? gp->libc : NULL;
}

// Leave after a fatal error: no atexit handlers, no stdio flush (it may
// sleep on a lock, and this may run in a fault handler), as Go exits 2
// without running deferred calls.
void
os_exit(int status)
{
	poweroff(status);
}

// Give back the mapped pages of [va, va+size) of the stack region.
void
os_unmapstack(uint64_t va, uint64_t size)
{
	vm_unmapfree(va, size);
}

_Static_assert(sizeof(struct osrange) == sizeof(struct vmrange), "osrange is vmrange");
_Static_assert(offsetof(struct osrange, size) == offsetof(struct vmrange, size), "osrange is vmrange");

void
os_unmapstacks(int n, const struct osrange *r)
{
	vm_unmapfreev(n, (const struct vmrange *)r);
}

uint64_t
os_stackregion(uint64_t *size)
{
	*size = GSTACKS_SIZE;
	return GSTACKS;
}

// Map a zeroed page at va, writable.
void
os_mapstack(uint64_t va)
{
	uint64_t pa = physmem_alloc();
	memset(p2v(pa), 0, PGSIZE);
	vm_map(va, pa, VM_WRITE);
}

static uint64_t sysnext = SYSMEM;   // Atomic: the next page os_sysalloc hands out
static uint64_t arenanext = ARENAS; // Atomic: the lowest address ARENAS may still reserve

void *
os_sysalloc(uint64_t n)
{
	n = PGROUNDUP(n);
	// Relaxed: a bump pointer; each caller gets a range of its own, and
	// the pages are published by whatever hands out what is built there.
	uint64_t va = atomic_xadd_relaxed(&sysnext, n) - n;
	if (va + n > SYSMEM + SYSMEM_SIZE) {
		throw("os_sysalloc: SYSMEM region exhausted");
	}
	if (!os_sysmap((void *)va, n)) {
		os_print("runtime: cannot allocate memory (%lu bytes for the runtime's own use)\n", n);
		throw("out of memory");
	}
	return (void *)va;
}

// Reservations are a bump region: a wanted address at or above the bump
// pointer is granted (the space below it is skipped, never handed out).
void *
os_sysreserve(void *v, uint64_t n)
{
	uint64_t want = (uint64_t)v;
	n = PGROUNDUP(n);
	for (;;) {
		uint64_t next = atomic_load_relaxed(&arenanext);
		uint64_t va = next;
		if (want != 0 && want % PGSIZE == 0 && want >= next && want + n > want &&
		    want + n <= ARENAS + ARENAS_SIZE) {
			va = want; // the hint, when it fits; else anywhere (os.h)
		}
		if (n == 0 || va + n < va || va + n > ARENAS + ARENAS_SIZE) {
			return NULL;
		}
		// seq_cst; pairs with the CAS of a concurrent reserver: one of
		// them gets [va, va+n), the other tries again above it.
		if (atomic_cas(&arenanext, next, va + n)) {
			return (void *)va;
		}
	}
}

// Zeroed frames, through the direct map: the new mappings' dirty bits
// stay clear until the program writes. The frames must be there with some
// to spare (page-table pages, one per 2 MiB, and a margin for the kernel):
// a moment's look, so another allocator may still take the last frames
// meanwhile, which is physmem_alloc's fatal error.
bool
os_sysmap(void *v, uint64_t n)
{
	uint64_t pages = PGROUNDUP(n) / PGSIZE;
	if (physmem_nfree() < pages + pages / 512 + 64) {
		return false;
	}
	for (uint64_t off = 0; off < n; off += PGSIZE) {
		os_mapstack((uint64_t)v + off);
	}
	return true;
}

void
os_sysunused(void *v, uint64_t n)
{
	vm_unmapfree((uint64_t)v, n);
}

bool
os_sysused(void *v, uint64_t n)
{
	return os_sysmap(v, n);
}

void
os_sysfree(void *v, uint64_t n)
{
	vm_unmapfree((uint64_t)v, n);
}

// The page tables' own dirty bits, with one TLB shootdown (kernel/vm.c).
uint64_t
os_dirtyscan(void *v, uint64_t n, uint64_t *bitmap, bool clear)
{
	return vm_dirtyscan((uint64_t)v, n, bitmap, clear);
}

bool
os_dirtyexact(void)
{
	return true;
}

// The image's data and bss, one range (linker.ld).
extern char __data_start[], __bss_end[];

bool
os_dataregion(int i, uint64_t *lo, uint64_t *hi)
{
	if (i > 0) {
		return false;
	}
	*lo = (uint64_t)__data_start;
	*hi = (uint64_t)__bss_end;
	return true;
}

size_t
os_backtrace(uint64_t ret, uint64_t fp, char *buf, size_t len)
{
	if (buf == NULL) {
		backtrace_print(0, ret, fp);
		return 0;
	}
	return backtrace_sprint(buf, len, 0, ret, fp);
}

// Page faults come here first (registered for T_PF): a fault in the
// goroutine stack region that the runtime maps returns to the faulting
// instruction; anything else is the kernel's fatal report.
//
// A stack page that faults under a spinlock of rank LOCK_VM or above
// would be mapped out of lock order (or under the very lock the mapping
// takes). spin_lock's probe (kernel/spinlock.c) maps the pages locked
// kernel work uses before it locks; a fault here means some locked path
// went deeper than the probe, which this names instead of the lock order.
static void
pagefault(struct trapframe *tf, void *arg)
{
	(void)arg;
	uint64_t addr = rcr2();
	if (!(tf->err & PF_P) && stackfaultfn != NULL && addr >= GSTACKS && addr < GSTACKS + GSTACKS_SIZE) {
		struct heldlocks *h = &mycpu()->locks;
		if (h->n > 0 && h->held[h->n - 1]->rank >= LOCK_VM) {
			fatalf("pagefault: goroutine stack page 0x%lx faulted in holding %s: deeper than "
			       "spin_lock probed",
			       addr, h->held[h->n - 1]->name);
		}
		if (stackfaultfn(addr, tf->err & PF_W)) {
			return;
		}
	}
	if (sigpanictrap(tf)) {
		return;
	}
	fatal_trap(tf);
}

// ---- faults that become panics ---------------------------------------------
//
// The linker puts the kernel's text (boot/, kernel/, drivers/ and
// lib/newlib/'s port) first, between these (linker.ld).
extern char __kernel_text_start[], __kernel_text_end[], __text_start[], __text_end[];

void
os_setsigpanic(bool (*fn)(const struct sigfault *f))
{
	sigpanicfn = fn;
	intr_register(T_DE, faulttrap, NULL);
	intr_register(T_GP, faulttrap, NULL);
}

// A divide error or a general-protection fault: a panic, or the fatal
// report they always were.
static void
faulttrap(struct trapframe *tf, void *arg)
{
	(void)arg;
	if (!sigpanictrap(tf)) {
		fatal_trap(tf);
	}
}

// Whether the fault in tf became a panic (os.h): asked of the runtime
// only for a fault in code that held nothing of the kernel's, and then
// the iretq goes to sigpanic0 instead of back to the fault. Trap frames of
// exceptions lie on the faulting stack itself (all but page faults: IST 0,
// trap.c), so nothing is pushed from here; sigpanic0 pushes once the frame
// is gone. A #GP gives no address, and Linux says SI_KERNEL, addr 0.
static bool
sigpanictrap(struct trapframe *tf)
{
	struct cpu *c = mycpu();
	if (sigpanicfn == NULL || !(tf->rflags & FL_IF) || c->ncli > 0 || c->current->nopreempt > 0) {
		return false;
	}
	// A call through nil faults at pc 0: the calling code is the one its
	// return address, on top, names. (A read that faulted here would land
	// on this handler's own IST stack.)
	bool nilcall = tf->rip < PGSIZE;
	if (nilcall && !(vm_mapped(tf->rsp) && vm_mapped(tf->rsp + 7))) {
		return false;
	}
	uint64_t code = nilcall ? *(uint64_t *)tf->rsp : tf->rip;
	if (code < (uint64_t)__text_start || code >= (uint64_t)__text_end ||
	    (code >= (uint64_t)__kernel_text_start && code < (uint64_t)__kernel_text_end)) {
		return false;
	}
	struct sigfault f = {.pc = tf->rip};
	switch (tf->trapno) {
	case T_PF:
		f = (struct sigfault){SigSEGV, tf->err & PF_P ? SegvAccerr : SegvMaperr, rcr2(), tf->rip};
		break;
	case T_GP:
		f = (struct sigfault){SigSEGV, SiKernel, 0, tf->rip};
		break;
	case T_DE:
		f = (struct sigfault){SigFPE, FpeIntdiv, tf->rip, tf->rip};
		break;
	}
	if (f.sig == 0 || !sigpanicfn(&f)) {
		return false;
	}
	tf->rdi = nilcall ? 0 : tf->rip;
	tf->rip = (uint64_t)sigpanic0;
	return true;
}

void
os_setstackfault(bool (*fn)(uint64_t addr, bool write))
{
	stackfaultfn = fn;
	intr_register(T_PF, pagefault, NULL);
}

// ---- newlib's malloc -------------------------------------------------------
//
// newlib's allocator is replaced by the runtime's manual heap (mmanual.c):
// these definitions come before libc.a in the link, so its malloc.o,
// mallocr.o and the rest are never pulled in. Each reentrant _r form
// sets nothing in its struct _reent: out of memory is Go's fatal error, not
// NULL with ENOMEM (calloc's overflow aside).

void *
malloc(size_t size)
{
	return runtime_malloc(size);
}

void
free(void *p)
{
	runtime_free(p);
}

void *
calloc(size_t n, size_t size)
{
	return runtime_calloc(n, size);
}

void *
realloc(void *p, size_t size)
{
	return runtime_realloc(p, size);
}

void *
memalign(size_t align, size_t size)
{
	return runtime_memalign(align, size);
}

void *
aligned_alloc(size_t align, size_t size)
{
	return runtime_memalign(align, size);
}

int
posix_memalign(void **res, size_t align, size_t size)
{
	if (align < sizeof(void *) || (align & (align - 1)) != 0) {
		return EINVAL;
	}
	*res = runtime_memalign(align, size);
	return 0;
}

size_t
malloc_usable_size(void *p)
{
	return runtime_mallocsize(p);
}

void *
_malloc_r(struct _reent *r, size_t size)
{
	(void)r;
	return runtime_malloc(size);
}

void
_free_r(struct _reent *r, void *p)
{
	(void)r;
	runtime_free(p);
}

void *
_calloc_r(struct _reent *r, size_t n, size_t size)
{
	void *p = runtime_calloc(n, size);
	if (p == NULL) {
		r->_errno = ENOMEM;
	}
	return p;
}

void *
_realloc_r(struct _reent *r, void *p, size_t size)
{
	(void)r;
	return runtime_realloc(p, size);
}

void *
_memalign_r(struct _reent *r, size_t align, size_t size)
{
	(void)r;
	return runtime_memalign(align, size);
}

size_t
_malloc_usable_size_r(struct _reent *r, void *p)
{
	(void)r;
	return runtime_mallocsize(p);
}
