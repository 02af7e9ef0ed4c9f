// lock.h: the lock contract every layer shares: spinlocks, sleeping
// mutexes and Go's notes, with the held-lock bookkeeping that checks the
// lock order (lockrank.h). The types and the rules are here; each port
// implements the calls: the bare-metal kernel in kernel/spinlock.c,
// mutex.c and note.c (a CPU spins, a kernel thread parks), the hosted
// port in runtime/lock_futex.c (a thread spins, then sleeps in futex(2)).
// The generic runtime reaches them through runtime/os.h, which includes
// this file; nothing here knows either port.
//
// Spinlocks: mutual exclusion between CPUs (threads), held for a few
// instructions only, never across a sleep. While one is held its holder
// is not preempted: on bare metal spin_lock disables interrupts (pushcli)
// until the last one is released, so a lock an interrupt handler also
// takes cannot deadlock its own CPU; on Linux the preemption signal
// leaves the holder alone. Every lock has a rank (lockrank.h):
// spin_lock throws on a recursive acquisition and on one out of rank
// order, spin_unlock throws if the caller does not hold the lock.
//
// Mutexes: a lock whose holder may block while holding it (newlib's
// locks: malloc, stdio). A thread that finds it held sleeps until the
// holder hands it over, FIFO on bare metal. Recursive acquisition counts
// depth (newlib's recursive locks need it). The owner is the thread, not
// the goroutine: from the first attempt to the unlock the goroutine stays
// on its thread (pinned). Never in an interrupt handler.
//
// Notes (Go's note, runtime/lock_futex.go): a one-shot event. One thread
// sleeps on it, one other wakes it, once; a wakeup that comes first makes
// the sleep return at once. noteclear makes it usable again, when nobody
// sleeps on it. While a goroutine sleeps on a note (or waits for a
// mutex) it is in a syscall: its P goes to other goroutines (the port
// calls the runtime's entersyscall hook).
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/lockrank.h"

struct heldlocks;

struct spinlock {
	uint32_t locked;          // Atomic: 0 free, 1 held
	int rank;                 // lockrank.h
	const char *name;         // for reports
	struct heldlocks *holder; // Protected by this lock: its holder's held-lock list
};

#define SPINLOCK_INIT(n, r)                                                                                  \
	{                                                                                                    \
		0, (r), (n), 0                                                                               \
	}

void spin_init(struct spinlock *l, const char *name, int rank);
void spin_lock(struct spinlock *l);
void spin_unlock(struct spinlock *l);
// Whether the caller holds l. On bare metal interrupts must be off (the
// answer would be stale once the CPU could be interrupted).
bool spin_holding(struct spinlock *l);

// One wait of both ports' spin_lock while l is held: PAUSE *backoff
// times (starting at 1), and for a channel's lock double it, up to 64
// (exponential backoff). Waiters that fall back from a channel lock's
// cache line let its holder take it again and again while the line stays
// in its cache, as a futex sleeper lets Go's lock holder: four producers
// and four consumers on one channel (BenchmarkChanProdCons/cap=100,
// hosted) took 450 ns an op with a PAUSE a test, 165 with this (Go 1.26:
// 130-150). The scheduler's locks do not back off: their waiters want them
// the moment they are free, and a waiter 64 PAUSEs late (a microsecond
// and more on AMD's cores) made GOMAXPROCS changes twice as slow.
static inline void
spin_backoff(const struct spinlock *l, int *backoff)
{
	for (int i = 0; i < *backoff; i++) {
		__builtin_ia32_pause();
	}
	if (l->rank == LOCK_HCHAN && *backoff < 64) {
		*backoff *= 2;
	}
}

// The spinlocks one holder holds (a CPU on bare metal, a thread in the
// hosted port), in the order taken, with strictly increasing ranks. A
// spinlock names its holder by this list, so the holder itself stays
// opaque here. Both ports' spin_lock and spin_unlock keep it with the
// functions below, so the lock order is checked in one place; who names
// the holder in the fatal messages ("CPU", "thread").
//
// Channel locks are counted apart (nchan): a select holds the lock of
// every case's channel at once, up to Go's 65536, in address order, and
// their rank is the lowest, so none is ever taken with another lock held.
// chanlast is the highest taken while any is held: the next must lie
// above it.
enum { MAXHELD = 24 }; // more than there are ranks: ranks strictly increase

struct heldlocks {
	struct spinlock *held[MAXHELD]; // the locks that are not channels'
	int n;
	int nchan;                  // channel locks held
	struct spinlock *chanlast;  // the last channel lock taken, while nchan > 0
};

// The fatal report of a broken lock rule. Each port provides it (it is
// os.h's fatalf; the kernel's is panic.c's): it must work with any lock
// held and interrupts off, and never return.
void fatalf(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

// How many locks the holder holds, channels' included.
static inline int
held_count(const struct heldlocks *h)
{
	return h->n + h->nchan;
}

// Before taking l: it must rank above every lock held, or, a channel's,
// come with no other lock held and lie above the channel last taken
// (select's lock order).
static inline void
held_check(struct heldlocks *h, struct spinlock *l, const char *who)
{
	if (l->rank == LOCK_HCHAN) {
		if (h->n > 0) {
			fatalf("spin_lock: lock order: %s (rank %d) taken while holding %s (rank %d)", l->name,
			       l->rank, h->held[h->n - 1]->name, h->held[h->n - 1]->rank);
		}
		if (h->nchan > 0 && l <= h->chanlast) {
			fatalf("spin_lock: lock order: channel locks taken out of address order (%p after %p)",
			       (void *)l, (void *)h->chanlast);
		}
		return;
	}
	struct spinlock *last = h->n > 0 ? h->held[h->n - 1] : NULL;
	if (last != NULL && last->rank >= l->rank) {
		fatalf("spin_lock: lock order: %s (rank %d) taken while holding %s (rank %d)", l->name,
		       l->rank, last->name, last->rank);
	}
	if (h->n == MAXHELD) {
		fatalf("spin_lock: %s: this %s holds %d locks already", l->name, who, MAXHELD);
	}
}

static inline void
held_push(struct heldlocks *h, struct spinlock *l)
{
	if (l->rank == LOCK_HCHAN) {
		h->nchan++;
		h->chanlast = l;
		return;
	}
	h->held[h->n++] = l;
}

// Locks are usually released in the reverse order, but need not be.
static inline void
held_remove(struct heldlocks *h, struct spinlock *l)
{
	if (l->rank == LOCK_HCHAN) {
		if (--h->nchan == 0) {
			h->chanlast = NULL;
		}
		return;
	}
	int i = h->n - 1;
	while (h->held[i] != l) {
		i--;
	}
	for (; i < h->n - 1; i++) {
		h->held[i] = h->held[i + 1];
	}
	h->n--;
}

// The thread that owns a mutex: opaque here, each port's own (bare metal:
// a struct kthread; hosted: the thread's lock state).
struct lockowner;

struct mutex {
	struct spinlock sl;                      // guards the fields below; held briefly
	struct lockowner *owner;                 // Protected by sl; NULL when free
	int depth;                               // Protected by sl: recursive acquisitions
	struct lockowner *waithead, *waittail;   // Protected by sl: waiters, FIFO (bare metal; hosted
	                                         // waiters sleep in futex(2) on sl.locked)
	const char *name;
};

#define MUTEX_INIT(n)                                                                                        \
	{                                                                                                    \
		SPINLOCK_INIT(n, LOCK_MUTEX), NULL, 0, NULL, NULL, (n)                                       \
	}

void mutex_lock(struct mutex *m, bool recursive);
bool mutex_trylock(struct mutex *m, bool recursive);
void mutex_unlock(struct mutex *m);

// A note's key encodes its state, written out once:
//
//	0            clear: nobody sleeps, nobody woke it
//	NOTE_WOKEN   woken (notewakeup ran)
//	other        the port's name for the thread that sleeps on it
struct note {
	uintptr_t key; // Atomic
};

enum { NOTE_WOKEN = 1 };

void noteclear(struct note *n);
void notesleep(struct note *n);
// Sleep until woken or for ns nanoseconds (ns < 0: no limit); true if
// woken.
bool notetsleep(struct note *n, int64_t ns);
// Throws on a second wakeup.
void notewakeup(struct note *n);
