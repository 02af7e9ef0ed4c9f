// os_hood.c: the machine interface (os.h) on hood's own kernel: Ms are
// kernel threads (kernel/kthread.h), the M of the running thread is its
// kthread's rt field, preemption is kthread_poke plus the kernel's
// asyncpreempt, and goroutine stacks are a region of the address space
// whose pages the page-fault handler maps. This is the only runtime file
// that includes kernel headers beyond locks and notes.

#include <reent.h>
#include <stdarg.h>
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
#include "runtime/runtime.h"

static bool (*stackfaultfn)(uint64_t addr, bool write);

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

int32_t
os_gomaxprocs(void)
{
	return bootargs.gomaxprocs;
}

// GODEBUG's variables, from the boot command line.
const char *
os_getenv(const char *name)
{
	return godebug_lookup(name);
}

int64_t
os_stacksize(void)
{
	return bootargs.stacksize;
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
	mp->locks++;
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
os_exitthread(void)
{
	kthread_exit();
}

bool
os_asyncpreempt(void)
{
	return true;
}

bool
os_faultstacks(void)
{
	return true;
}

bool
os_preemptm(struct m *mp)
{
	return kthread_poke((struct kthread *)mp->thread);
}

static void (*runtimepreempt)(void);

// Only kernel threads that are Ms run Go code to preempt.
static void
preempthook(void)
{
	if (kthread_current()->rt != NULL) {
		runtimepreempt();
	}
}

void
os_preempthook(void (*fn)(void))
{
	runtimepreempt = fn;
	kthread_preempthook = preempthook;
}

void
os_syscallhooks(bool (*enter)(void), void (*exit)(void))
{
	kthread_entersyscall = enter;
	kthread_exitsyscall = exit;
}

// newlib's reentrancy structure of each goroutine: its errno, strtok's
// and rand's state and the like. newlib is built to ask __getreent() for
// the current one (scripts/setup: __DYNAMIC_REENT__); stdin, stdout and
// stderr are shared (global stdio streams, locked: lib/locks.c). A G keeps
// its structure across the goroutines it runs; each starts with errno 0.
// Kernel threads and g0 use the global one.
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

struct _reent *
__getreent(void)
{
	pushcli();
	struct kthread *t = mycpu()->current;
	struct m *mp = t != NULL ? t->rt : NULL;
	struct g *gp = mp != NULL ? mp->cur : NULL;
	popcli();
	return gp != NULL && gp->libc != NULL ? gp->libc : _impure_ptr;
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

static uint64_t sysnext = SYSMEM; // Atomic: the next page os_sysalloc hands out

void *
os_sysalloc(uint64_t n)
{
	n = PGROUNDUP(n);
	uint64_t va = __atomic_fetch_add(&sysnext, n, __ATOMIC_RELAXED);
	if (va + n > SYSMEM + SYSMEM_SIZE) {
		throw("os_sysalloc: SYSMEM region exhausted");
	}
	for (uint64_t off = 0; off < n; off += PGSIZE) {
		os_mapstack(va + off);
	}
	return (void *)va;
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
static void
pagefault(struct trapframe *tf, void *arg)
{
	(void)arg;
	uint64_t addr = rcr2();
	if (!(tf->err & PF_P) && stackfaultfn != NULL && addr >= GSTACKS && addr < GSTACKS + GSTACKS_SIZE &&
	    stackfaultfn(addr, tf->err & PF_W)) {
		return;
	}
	fatal_trap(tf);
}

void
os_setstackfault(bool (*fn)(uint64_t addr, bool write))
{
	stackfaultfn = fn;
	intr_register(T_PF, pagefault, NULL);
}
