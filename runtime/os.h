// os.h: the machine interface: all the runtime knows of what it runs on,
// as Go's os_linux.go and mem_linux.go are for Go. The bare-metal port is
// os_hood.c; the hosted Linux port (to come) implements the same calls.
//
// Locks and notes are the machine's: spinlocks (which also keep the M
// from being preempted while held), sleeping mutexes, and Go's notes (one
// sleeper, one waker, once; notetsleep with a timeout).
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

// A broken invariant of the runtime: the machine's fatal report, status 2.
void throw(const char *msg) __attribute__((noreturn));
void fatalf(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

// The application's main, run as goroutine 1; returns its status.
int os_main(void);

int32_t os_ncpu(void);
void os_newosproc(struct m *mp, int cpu, void (*fn)(void *mp));
struct m *os_getm(void);
struct m *os_acquirem(void);
struct g *os_getg(void);
void os_setm(struct m *mp);
uint64_t nanotime(void);
bool os_preemptm(struct m *mp);
// Whether os_preemptm can stop a goroutine at any instruction (not in a
// ThreadSanitizer build of the hosted port, where it does nothing).
bool os_asyncpreempt(void);
// Whether goroutine stacks grow by faults, page by page (stack.c tracks
// their mapped pages then): not in a ThreadSanitizer build of the hosted
// port, whose stacks are usable from the start.
bool os_faultstacks(void);
void os_exit(int status) __attribute__((noreturn));
void os_intr_off(void);
void os_procyield(void);
void os_usleep(int64_t us);
void os_exitthread(void) __attribute__((noreturn));
uint64_t os_threadstacktop(void);
const char *os_getenv(const char *name);
int os_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int32_t os_gomaxprocs(void);
int64_t os_stacksize(void);

// Goroutine stacks: a region of virtual memory the runtime carves into
// slots; pages are mapped on demand. os_stackfault is called for a page
// fault at addr in the region, from the fault handler; it returns false
// if addr is not the runtime's to map.
uint64_t os_stackregion(uint64_t *size);
void os_mapstack(uint64_t va);
void os_unmapstack(uint64_t va, uint64_t size);

// The C library's per-goroutine state (errno and the like): made once for
// each new G, reset whenever the G starts a goroutine.
void *os_libcstate_new(void);
void os_libcstate_reset(void *st);

// Memory for the runtime's own structures: n bytes (rounded up to pages),
// zeroed, mapped, never given back (Go's sysAlloc). Spins, never sleeps.
void *os_sysalloc(uint64_t n);
void os_setstackfault(bool (*fn)(uint64_t addr, bool write));
// The frames up the frame-pointer chain from fp, after ret (a return
// address, or 0): on the console if buf is NULL, else into buf, at most
// len bytes, whose count is returned.
size_t os_backtrace(uint64_t ret, uint64_t fp, char *buf, size_t len);
void os_preempthook(void (*fn)(void));

// The machine calls enter when Go code is about to block in it, and exit
// when it runs again, if enter returned true (Go's entersyscall and
// exitsyscall; kernel/kthread.h).
void os_syscallhooks(bool (*enter)(void), void (*exit)(void));
