// os_linux.h: what the hosted port's files share, as Go's os_linux.go,
// mem_linux.go, signal_unix.go and its symbol table are files of one
// port:
//
//	os_linux.c      the process, threads and Ms, time, exit, environment,
//	                the syscall hooks, the C library's state
//	mem_linux.c     memory (sysAlloc..sysFree, dirty pages) and the
//	                goroutine stack region
//	signal_linux.c  SIGURG preemption, SIGSEGV stack growth, the signal
//	                stacks
//	symtab_linux.c  the program's ELF symbols, for os_backtrace
//	lock_futex.c    spinlocks, notes and mutexes (lib/lock.h) on futexes
//
// Not for generic runtime files, which see the machine through os.h only.
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/mman.h>

struct m;

// Under ThreadSanitizer, signal handlers run only outside its own code:
// a stack page that faults inside it (its pthread_create, say) would never
// be opened. So there the stacks are readable and writable from the start
// (Linux still commits pages only when touched), without guard pages.
// Its shadow memory also limits the region to 64 GiB.
#ifdef __SANITIZE_THREAD__
enum { StackProt = PROT_READ | PROT_WRITE };
#define StackRegionSize (64ULL << 30)
#else
enum { StackProt = PROT_NONE };
#define StackRegionSize (1ULL << 40) // 1 TiB of goroutine stacks: a million of 1 MiB
#endif

// The M of the running thread (os_linux.c; os_setm sets it).
extern __thread struct m *curm;

// The goroutine stack region's base, once reserved (mem_linux.c): the
// fault handler and the backtracer test addresses against it.
extern uint64_t stackregion;

// The running thread's goroutine must stay on it: it holds a spinlock or
// is pinned (lock_futex.c).
bool thread_nopreempt(void);

// Around a wait in the port (a note, a contended mutex): Go's
// entersyscall and exitsyscall, if the thread is an M (os_linux.c).
bool blockbegin(void);
void blockend(bool entered);

// Inside the SIGSEGV handler, on this thread (nested faults count up):
// what runs there must be async-signal-safe, and the port checks that it
// neither loads the symbol table nor grows the stack region's guarded
// prefix there (signal_linux.c sets it; symtab_linux.c, mem_linux.c
// check it).
extern __thread int insignal;

// symtab_linux.c: read the program's symbol table, once, at osinit: the
// fatal report of a fault, in the signal handler, only looks it up.
// symname: the name of the function of the program that holds pc, and
// *off, pc's offset in it; NULL for an address outside them.
void symtabinit(void);
const char *symname(uint64_t pc, uint64_t *off);

// signal_linux.c: once at process start, the size of the FPU state
// asyncpreempt saves; and for each new M, its alternate signal stack
// (Go's minitSignalStack).
void signalinit(void);
void minitsignals(void);
// And for an M whose thread ends: the signal stack back (Go's
// unminitSignals).
void unminitsignals(void);
// Atomic (relaxed, a count): the signal stacks mapped now, one per live
// M; the hosted test program checks that ended Ms give theirs back.
extern long nsigstacks;
