// sema.h: what the runtime gives the sync package (sync/*.c), the one
// door between them, as Go's sync reaches its runtime only through the
// functions runtime/sema.go and proc.go link to it by name
// (sync.runtime_Semacquire and the rest; the names here are theirs).
//
// A semaphore is a uint32_t count anywhere in memory: semacquire waits
// until the count is above 0 and takes one, semrelease adds one and wakes
// a waiter. Waiters are kept by the count's address in a table of 251
// roots (runtime/sema.c), so a semaphore needs no initialisation and no
// memory of its own: a zero struct sync_mutex is an unlocked mutex, as a
// zero sync.Mutex is.
//
// A notify list is Go's notifyList, the ticket queue under sync.Cond: Add
// takes a ticket before the caller unlocks its mutex, Wait parks until
// that ticket is notified, NotifyOne wakes the oldest ticket not yet
// notified, NotifyAll every one.
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "include/hood.h"

// Wait for *addr > 0 and decrement it. The variants differ in what a
// goroutine dump says the waiter waits for ("semacquire", Go 1.26's
// "sync.Mutex.Lock", "sync.RWMutex.RLock", "sync.RWMutex.Lock",
// "sync.WaitGroup.Wait"); lifo queues the waiter first among those on
// addr (a Mutex waiter that has waited before, as Go's).
void sync_runtime_Semacquire(uint32_t *addr);
void sync_runtime_SemacquireMutex(uint32_t *addr, bool lifo);
void sync_runtime_SemacquireRWMutexR(uint32_t *addr, bool lifo);
void sync_runtime_SemacquireRWMutex(uint32_t *addr, bool lifo);
void sync_runtime_SemacquireWaitGroup(uint32_t *addr);

// Increment *addr and wake the first waiter on it, if any. handoff (a
// starving Mutex's unlock): the count goes to that waiter directly, and
// the caller yields its P to it.
void sync_runtime_Semrelease(uint32_t *addr, bool handoff);

// Go's notifyList calls (runtime/sema.go).
uint32_t sync_runtime_notifyListAdd(struct sync_notifylist *l);
void sync_runtime_notifyListWait(struct sync_notifylist *l, uint32_t t);
void sync_runtime_notifyListNotifyOne(struct sync_notifylist *l);
void sync_runtime_notifyListNotifyAll(struct sync_notifylist *l);

// Whether a Mutex's i-th spin (from 0) is worth it, and one spin (Go's
// sync_runtime_canSpin and doSpin): spinning only while another P runs,
// none is idle or spinning, and our own P has nothing queued.
bool sync_runtime_canSpin(int i);
void sync_runtime_doSpin(void);

// The monotonic clock (a Mutex's starvation threshold).
int64_t sync_runtime_nanotime(void);

// Pin the goroutine to its P (no preemption, no P change) and return the
// P's id, below GOMAXPROCS; unpin. A Pool's per-P slots are only touched
// pinned (Go's runtime_procPin).
int sync_runtime_procPin(void);
void sync_runtime_procUnpin(void);

// The Pool's cleanup, which the collector calls at the start of each
// cycle with the world stopped (Go's poolcleanup, set by sync's init
// through runtime_registerPoolCleanup). It must not allocate or block.
void sync_runtime_registerPoolCleanup(void (*f)(void));

// The unrecoverable errors of sync ("sync: unlock of unlocked mutex"):
// Go's sync.fatal, "fatal error: " and msg, no recovering.
void sync_fatal(const char *msg) __attribute__((noreturn));
