// os.h: the machine interface: all the generic runtime knows of what it
// runs on, as Go's os_linux.go, mem_linux.go and signal_unix.go are for Go,
// and documented as go1.4's malloc.h documents its SysAlloc..SysFault.
// Two ports implement it:
//
//	bare metal   runtime/os_hood.c over hood's kernel (kernel threads,
//	             page tables, the timer interrupt)
//	Linux        runtime/os_linux.c (threads, time, exit, environment),
//	             mem_linux.c (memory, stacks, dirty pages), signal_linux.c
//	             (preemption, stack faults), symtab_linux.c (backtraces),
//	             lock_futex.c (locks)
//
// No generic runtime file includes anything of either port; no port
// #ifdef appears outside the port files.
//
// The lock types and their calls (spinlocks, sleeping mutexes, Go's notes,
// the rank table) are the contract of lib/lock.h and lib/lockrank.h, which
// this file includes: both ports implement them (kernel/spinlock.c,
// mutex.c, note.c; runtime/lock_futex.c). A spinlock held keeps its
// holder from being preempted on both ports.
//
// The contexts below, in STYLE.md's words: "on g0" is the scheduler's
// stack of an M; "a goroutine" is Go code on its own stack; "a fault
// handler" runs on the port's fault stack (an IST stack or sigaltstack),
// where nothing may block or allocate. Unless a call says otherwise it may
// be called from g0 or a goroutine, with interrupts on, holding no
// spinlock, and it neither allocates from the runtime nor blocks.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/lock.h"

struct m;
struct g;

// The machine's page, the unit of the stack and memory calls below (Go's
// physPageSize; the heap's own page, PageSize, is the allocator's).
enum { PhysPageSize = 4096 };

// ---- fatal errors -----------------------------------------------------------
//
// throw and fatalf: a broken invariant of the runtime. The port's fatal
// report (bare metal: registers and a backtrace of every CPU, as panic.c
// prints them; Linux: Go's "fatal error:" and a goroutine dump), then exit
// status 2. Callable from any context, interrupts off and in fault
// handlers too; never return. os_exit ends the program at once with
// status: no atexit handlers, no stdio flush (it may sleep on a lock, and
// this may run in a fault handler), as Go exits without running deferred
// calls; bare metal powers off (kernel/power.c).
void throw(const char *msg) __attribute__((noreturn));
void fatalf(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void os_exit(int status) __attribute__((noreturn));

// ---- threads and Ms ---------------------------------------------------------
//
// osinit: the port's own setup, once, first of all (rt0_go calls it before
// schedinit, as Go's rt0_go does): bare metal registers newlib's state
// hook (lib/newlib/libc.h); Linux installs its signal handlers. On
// the first thread, before any other call of this file.
//
// os_main runs the application's main, once, as goroutine 1, and returns
// its status (bare metal: main(); Linux: the program's own main through
// -Wl,--wrap=main).
//
// os_ncpu: the CPUs the runtime may use (bare metal: those that came up;
// Linux: the affinity mask's), >= 1. Called once by schedinit.
//
// os_newosproc starts a new thread of the machine running fn(mp) on its
// own stack, which becomes mp's g0 (Go's newosproc). cpu is where the bare
// metal kernel puts it (the M's home CPU); Linux places threads itself.
// Called on g0 with sched.lock not held; may allocate from the C library.
// fn calls os_setm first.
//
// os_setm: the calling thread is mp from now on (Go's minit too: Linux
// gives the thread its signal stack here). os_getm: the M of the calling
// thread, NULL on a thread that is not an M. os_acquirem: the M and
// mp->locks++ in one step, so that no preemption moves the goroutine
// between the read and the increment (Go's acquirem); NULL, with nothing
// counted, on a thread that is not an M. os_getg: the M's
// running G (mp->cur), read as one step for the same reason. All four are
// callable from any context of the thread, interrupts off too.
//
// os_threadstacktop: the top of the calling thread's stack, less a little
// for the frames above the caller: where g0's stack ends. Called once per
// M, at its start. os_exitthread ends the calling thread, which must hold
// no lock (an M whose locked G exited); never returns. Once the thread
// will touch nothing of its M again (no signal or interrupt finds the M
// from it) it stores 0 to *freewait with release, and the runtime may
// give the M to a new thread (Go's m.freeWait).
void osinit(void);
int os_main(void);
int32_t os_ncpu(void);
void os_newosproc(struct m *mp, int cpu, void (*fn)(void *mp));
void os_setm(struct m *mp);
struct m *os_getm(void);
struct m *os_acquirem(void);
struct g *os_getg(void);
uint64_t os_threadstacktop(void);
void os_exitthread(uint32_t *freewait) __attribute__((noreturn));

// ---- time -------------------------------------------------------------------
//
// nanotime: a monotonic clock in nanoseconds (bare metal: the calibrated
// TSC; Linux: CLOCK_MONOTONIC). Lock-free, callable from any context,
// interrupts off and in fault handlers too.
//
// os_walltime: the wall clock, nanoseconds since 1970-01-01 00:00:00 UTC
// (Go's walltime, behind time.Now's wall reading; bare metal: the CMOS
// clock read at boot and carried forward by nanotime, kernel/rtc.c;
// Linux: CLOCK_REALTIME, which may jump when the host's clock is set).
// Lock-free; callable where nanotime is.
//
// os_procyield: one step of a spin-wait (Go's procyield: PAUSE; on bare
// metal also answers any cross-CPU call posted to this CPU, since the one
// we wait for may be waiting for our answer). os_usleep: wait about us
// microseconds, a short wait of the spinning kind (Go's usleep in
// runqgrab): bare metal spins, Linux sleeps the thread. Neither gives the P
// away.
uint64_t nanotime(void);
int64_t os_walltime(void);
void os_procyield(void);
void os_usleep(int64_t us);

// ---- memory -----------------------------------------------------------------
//
// As go1.4's malloc.h: memory the runtime takes from the machine for its
// own use, in whole pages (PhysPageSize); addresses and sizes must be page
// multiples. On bare metal the memory comes from the kernel's page tables
// (kernel/vm.c) and the frame allocator; on Linux from mmap.
//
// os_sysalloc obtains n bytes (rounded up to pages) of zeroed, mapped
// memory for the runtime's persistent structures, never given back (Go's
// sysAlloc, persistentalloc's source). Page-aligned. Spins, never sleeps;
// throws when the machine has none.
//
// os_sysreserve reserves n bytes of address space without memory behind
// it (Go's sysReserve) and returns where, page-aligned, or NULL if there
// is no room. If v is not NULL the caller wants the reservation there; it
// gets it there when that range is free, else elsewhere, so the caller
// checks (Go's arena hints). Bare metal carves reservations out of ARENAS
// (0xc000000000, 4 TiB, kernel/memlayout.h); Linux maps PROT_NONE with
// MAP_NORESERVE. A touch of reserved memory that is not mapped is a fatal
// fault on both ports.
//
// os_sysmap maps [v, v+n) of a reservation for use (Go's sysMap): readable,
// writable, not executable, reading as zeros, and clean for os_dirtyscan
// (no page dirty until written). Mapping a mapped page is a bug. Returns
// false, with nothing mapped, when the machine has not the memory, so
// that the heap can say Go's "out of memory" (bare metal maps the frames
// at once and looks first; Linux refuses a mapping past its overcommit
// limit and commits the pages at the first touch). os_sysused likewise.
//
// os_sysunused tells the machine that the contents of [v, v+n) are no
// longer needed and their memory can be reused (Go's sysUnused: the
// scavenger's, and a dead stack's pages). The range stays reserved; until
// os_sysused it must not be touched (bare metal unmaps the pages and frees
// their frames: a touch is a fatal fault; Linux drops them with
// MADV_DONTNEED). os_sysused makes it usable again (Go's sysUsed), reading
// as zeros, clean for os_dirtyscan, or returns false with nothing mapped
// when the machine has not the memory.
//
// os_sysfree gives [v, v+n) back entirely (Go's sysFree): memory and
// address space; the range must not be touched again. On bare metal the
// address space of ARENAS is not handed out again (a 4 TiB bump region).
//
// os_dirtyscan reads, and with clear clears, the dirty bits of the pages
// of [v, v+n), a mapped range (parts unused by os_sysunused read clean):
// bit i of bitmap (bitmap[i / 64] >> (i % 64) & 1) says whether page i was
// written since it was mapped or made used, or since the last clearing
// scan of it. bitmap holds at least (n / PhysPageSize + 63) / 64 words,
// all of which the scan writes. Returns the count of dirty pages. With
// clear, before it returns every CPU has dropped its cached translations
// of the range (bare metal: one TLB shootdown for the range; Linux:
// PAGEMAP_SCAN write-protects the pages again in the same call), so every
// write after the return dirties its page again: the collector's write
// barrier (mostly-concurrent marking over dirty bits, after Boehm,
// Demers and Shenker, PLDI 1991: docs/memory.md). A
// write during the scan dirties its page for this scan or the next one,
// never neither. The Linux port needs userfaultfd's asynchronous write
// protection (Linux 6.7); without it (os_dirtyexact() false) every mapped
// page reads dirty, always: correct for a collector, only slower. Called
// on g0 or a goroutine, holding no spinlock (bare metal waits for the
// other CPUs' answers); may take the machine's own locks, never sleeps.
// On a goroutine's stack that is safe on bare metal too: the first
// memory lock a goroutine takes touches the next pages of its stack first
// (kernel/spinlock.c, probestack), so no stack fault comes under the
// page-table lock.
// os_dataregion: the ith range [*lo, *hi) of the program's static data
// that may hold pointers (data and bss), or false past the last: the
// collector's roots (bare metal: the image's, kernel and C library
// included; Linux: the executable's, not the shared C library's).
void *os_sysalloc(uint64_t n);
void *os_sysreserve(void *v, uint64_t n);
bool os_sysmap(void *v, uint64_t n);
void os_sysunused(void *v, uint64_t n);
bool os_sysused(void *v, uint64_t n);
void os_sysfree(void *v, uint64_t n);
uint64_t os_dirtyscan(void *v, uint64_t n, uint64_t *bitmap, bool clear);
bool os_dirtyexact(void);
bool os_dataregion(int i, uint64_t *lo, uint64_t *hi);

// ---- goroutine stacks and faults ------------------------------------------
//
// Goroutine stacks live in a region of address space that the runtime
// carves into slots (stack.c), whose pages are mapped as the stack grows.
// os_stackregion returns the region's base and sets *size; called once by
// stackinit; the region is reserved then (Linux) or fixed (bare metal:
// GSTACKS). os_mapstack maps the page at va of the region, zeroed and
// writable; os_unmapstack gives back whatever is mapped of [va, va+size)
// and makes it fault again. Both are called from the stack-fault callback
// (os_mapstack) or on g0 (os_unmapstack, for a dead G's stack): they may
// take the machine's memory locks, never the runtime's, and never sleep.
// os_unmapstacks is os_unmapstack of n ranges at once, for a batch of
// dead Gs (proc.c's gfreestacks), on g0, holding no lock: bare metal
// shoots the TLBs down once for all of them, where each os_unmapstack
// costs a round of IPIs to every CPU.
//
// os_setstackfault registers fn, called from the fault handler for a
// fault at addr in the stack region (write: the access was a write); fn
// maps the page and returns true for the instruction to run again, or
// returns false for the machine's fatal fault report. fn runs on the
// fault stack: it must not allocate, block or take a lock that the
// faulting goroutine might hold. Registered once, by stackinit.
//
// os_faultstacks: whether stacks grow by faults, page by page (stack.c
// tracks their mapped pages then). Not in a ThreadSanitizer build of the
// Linux port, whose stacks are usable from the start.
uint64_t os_stackregion(uint64_t *size);
void os_mapstack(uint64_t va);
void os_unmapstack(uint64_t va, uint64_t size);
struct osrange {
	uint64_t va, size;
};
void os_unmapstacks(int n, const struct osrange *r);
void os_setstackfault(bool (*fn)(uint64_t addr, bool write));
bool os_faultstacks(void);

// ---- faults that become panics ----------------------------------------------
//
// A goroutine that dereferences nil or divides by zero panics, as in Go
// (panic.c's sigpanic). The machine's fault handler describes such a
// fault in Linux's words whatever the port (struct sigfault: Go's g.sig,
// sigcode0, sigcode1 and sigpc) and asks fn, registered once by schedinit
// with os_setsigpanic, whether it becomes a panic: a memory fault
// (SigSEGV: SegvMaperr for a page not present, SegvAccerr for one
// protected, SiKernel with addr 0 for a general-protection fault) or a
// divide error (SigFPE, FpeIntdiv, addr = pc). It asks only where its own
// code holds nothing that the panic would leave held: bare metal, for a
// fault with interrupts on, no kernel mutex held (kthread nopreempt), in
// the image's text outside the kernel's (boot/, kernel/, drivers/,
// lib/newlib/: the linker's __kernel_text_start.._end); Linux, for code
// in the program's text, outside the C library (whose locks are the
// thread's) and not in a callback from it, on the goroutine's stack. Everything else, and whatever fn refuses, is the
// machine's fatal report, as any other fault. fn runs in the fault
// handler: it must not block, allocate or take a lock.
//
// When fn says yes, the machine resumes the goroutine at sigpanic0
// (asm_amd64.asm), on the faulting stack, with rdi = the faulting pc, or
// 0 for a pc in the first page (a call through nil, whose caller is the
// code that faulted: its return address is on the stack already), which
// makes it look as if the faulting instruction had called sigpanic (Go's
// preparePanic and shouldPushSigpanic). The faulting frame is never
// returned to: the panic unwinds past it or ends the program.
enum {
	SigBUS = 7,
	SigFPE = 8,
	SigSEGV = 11,
	SegvMaperr = 1,
	SegvAccerr = 2,
	FpeIntdiv = 1,
	SiKernel = 0x80,
};
struct sigfault {
	uint32_t sig;
	uint64_t code, addr, pc;
};
void os_setsigpanic(bool (*fn)(const struct sigfault *f));

// os_stackunwound: the frames in [lo, hi) of the running goroutine's
// stack are gone without returning (a recovered panic's jump, panic.c),
// for a port that keeps marks on stack memory (the hosted ASan build's
// poisoned red zones, which a return would have cleared). Nothing on bare
// metal.
void os_stackunwound(uint64_t lo, uint64_t hi);

// ---- preemption and syscall hooks ---------------------------------------
//
// os_preempthook registers fn, which the machine calls on a goroutine's
// own stack, all its registers saved, when it stops the goroutine at an
// arbitrary instruction (bare metal: the timer interrupt or kthread_poke's
// IPI, then the kernel's asyncpreempt; Linux: SIGURG, then
// asyncpreempt_linux.asm): Go's asyncPreempt. The machine never calls it
// while a spinlock is held, nor while an earlier call is still on the
// goroutine's stack: it marks the G (g.asyncpreempt) when it makes it
// call, and clears the mark as the call's last step, with preemption off
// (Go needs no mark: asyncPreempt is runtime code, never a safe point).
// It may call it while the M holds runtime locks (mp->locks) or runs on
// g0 (bare metal, where the kernel's own time slice takes the same path;
// Linux does not); fn then returns at once. Registered once, by
// schedinit.
//
// os_preemptm asks the machine to stop mp's running goroutine that way
// soon (Go's preemptM); returns whether the request was sent. Called by
// sysmon and the world-stopper, on any M; it does not wait.
// os_asyncpreempt: whether it can stop a goroutine at any instruction (not
// in a ThreadSanitizer build of the Linux port, where it does nothing and
// goroutines yield only where they call the scheduler).
//
// os_pinned: whether the running code is pinned to its thread (it holds
// or waits for the machine's sleeping mutexes, whose owner is the thread:
// bare metal's kthread nopreempt, Linux's thread_nopreempt). The machine's
// preemption then never switches the goroutine away, and neither may the
// runtime's own switch points (releasem's preemption, a collection's wait).
//
// os_intr_off: interrupts off without the nesting count (bare metal), for
// the instant before gogo, which restores the next G's flags; nothing on
// Linux, where the signal handler tells that instant by the stack.
//
// os_syscallhooks registers Go's entersyscall and exitsyscall for the
// machine: it calls enter when a goroutine is about to block in it (a
// note slept on, a contended mutex, a kernel wait) and, if enter returned
// true, exit when it runs again (kernel/kthread.h on bare metal,
// lock_futex.c's blockbegin/blockend on Linux). Registered once, by
// schedinit.
void os_preempthook(void (*fn)(void));
bool os_preemptm(struct m *mp);
bool os_asyncpreempt(void);
bool os_pinned(void);
void os_intr_off(void);
void os_syscallhooks(bool (*enter)(void), void (*exit)(void));

// ---- the C library's state ----------------------------------------------
//
// Each goroutine may have the C library's per-thread state of its own
// (errno, strtok's and rand's state): on bare metal newlib's struct _reent,
// which newlib finds through __getreent (lib/newlib/syscalls.c, over a hook
// that os_hood.c registers); on Linux glibc keeps errno per thread, so the
// port keeps each G's errno in its state and moves it between the thread
// and the G at every switch (below). os_libcstate_new makes the state of
// a new G (malg stores it in gp->libc), or returns NULL; it may allocate
// persistent memory (persistentalloc), never frees. os_libcstate_reset
// readies st for a new goroutine on the G (newproc): errno 0. g0 and
// threads that are not Ms use the library's global (Linux: the
// thread's) state.
//
// os_libcstate_save(st): the running G (whose state st is) leaves the
// thread for g0: the thread's per-thread library state goes into st.
// Called by mcall (every park, yield, exit and preemption goes through
// it) and systemstack, on the G's stack, just before the switch.
// os_libcstate_load(st): the G whose state st is takes the thread again:
// st goes back into the thread's state. Called by execute just before
// gogo, and by systemstack after it switched back. Both accept NULL (g0),
// run with the M held (mp->locks or the switch itself keeps the G
// there), take a few instructions and touch nothing else. Bare metal:
// nothing (newlib asks __getreent for the running G's state at every
// access). Linux: errno; the port's own waits (lock_futex.c) and signal
// handlers (signal_linux.c) leave errno as they found it, as the
// bare-metal kernel never touches a goroutine's.
void *os_libcstate_new(void);
void os_libcstate_reset(void *st);
void os_libcstate_save(void *st);
void os_libcstate_load(void *st);

// ---- environment and output ----------------------------------------------
//
// os_getenv: the value of the environment variable name, or NULL: on bare
// metal the boot command line's KEY=VALUE words that are not the kernel's
// own (kernel/cmdline.h), on Linux the process's environment (getenv). The
// runtime reads its knobs through it (runtime1.c), and the program through
// runtime_getenv (hood.h). The string is the machine's: not to be changed
// or freed. Called on g0 at schedinit, or from goroutines; allocates
// nothing.
//
// os_print: printf to the console (bare metal: the serial port and screen;
// Linux: stderr), one line at a time kept whole. Callable from any
// context, fault handlers and interrupts off too; it may spin on the
// console's lock, never sleeps.
//
// os_backtrace: the frames up the frame-pointer chain from fp, after ret
// (a return address, or 0), symbolised: on the console if buf is NULL,
// else into buf, at most len bytes, whose count is returned. Callable
// where os_print is; the Linux port reads its symbol table once, at the
// first call (symtab_linux.c).
const char *os_getenv(const char *name);
int os_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
size_t os_backtrace(uint64_t ret, uint64_t fp, char *buf, size_t len);
