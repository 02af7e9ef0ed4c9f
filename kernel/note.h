// note.h: Go's note (runtime/lock_futex.go, lock_sema.go): a one-shot
// event. One thread sleeps on it, one other wakes it, once; a wakeup that
// comes first makes the sleep return at once. noteclear makes it usable
// again, when nobody sleeps on it.
//
// key encodes the state, written out once:
//
//	0            clear: nobody sleeps, nobody woke it
//	NOTE_WOKEN   woken (notewakeup ran)
//	a kthread *  that thread sleeps on it
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct note {
	uintptr_t key; // Atomic
};

enum { NOTE_WOKEN = 1 };

void noteclear(struct note *n);
void notesleep(struct note *n);
bool notetsleep(struct note *n, int64_t ns);
void notewakeup(struct note *n);
