// chan.h: channels and select, Go's chan.go and select.go in C.
//
// A channel is a struct hchan: a lock, a ring buffer of dataqsiz
// elements of elemsize bytes (none for an unbuffered channel), and two
// FIFO queues of waiting goroutines, recvq and sendq, each waiter a
// struct sudog that names its G and the element it sends from or
// receives into. Whoever finds a waiter on the other side hands the
// element over directly, from its memory to the waiter's (often the
// waiter's stack) and readies it: a send to a parked receiver never
// touches the buffer, and a receive from a full buffer with a sender
// parked takes the oldest element and moves the sender's into the freed
// slot, so the buffer stays FIFO. Only when nobody waits on the other side
// and the buffer has no room (or nothing in it) does the caller queue a
// sudog of its own and park (gopark, "chan send" or "chan receive"); the
// lock is released on g0 once the G is off its stack (goparkunlock),
// so that a waker cannot ready it before it is parked.
//
//	          sendq: sg -> sg          recvq: (empty)
//	hchan ---> buf [ . x x x . ]  recvx=1, sendx=4, qcount=3, dataqsiz=5
//
// close marks the channel closed and readies every waiter: receivers get
// the zero value and ok=false, senders panic "send on closed channel". A
// buffered channel is drained before a receiver sees the close.
//
// select (select.c, Go's selectgo) locks every channel of its cases in
// address order (lockorder, so two selects never deadlock), looks at the
// cases in a uniformly random order (pollorder) and takes the first that
// can proceed; with none and no default it queues one sudog per case, each
// marked isSelect, and parks. The first waker to win the G's selectDone
// (a CAS from 0 to 1) completes its case; the others skip those sudogs
// when they dequeue them, and the select, woken, locks everything again
// and takes its sudogs off the other queues.
//
// Lock order: hchan locks rank lowest (LOCK_HCHAN, lockrank.h): a send or
// receive may allocate a sudog (mcentral, mheap) and fault in a stack
// page (vm, physmem) while it holds one; several are held together only
// by select, in increasing address order, which the rank check allows for
// this rank alone. goready comes after the unlock, as in Go.
//
// Invariants (under c->lock):
//	qcount <= dataqsiz; buf[recvx .. recvx+qcount) (mod dataqsiz) hold elements
//	recvq non-empty => qcount == 0 (a receiver waits only on an empty buffer)
//	sendq non-empty => qcount == dataqsiz (a sender waits only on a full one)
//	closed => sendq empty (close readies every sender)
// A select sudog may stay on a queue after its select was won elsewhere:
// dequeue drops it (selectDone already 1).
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "runtime/runtime.h"

enum {
	MaxElemSize = 1 << 16, // Go's: makechan throws for elements this big or bigger
	SelectMaxCases = 1 << 16, // Go's (reflect.Select's): the orders are uint16
	SelectStackCases = 64,    // a select of at most this many keeps its orders on the stack
};

// A FIFO of sudogs, linked through next and prev (Go's waitq). Protected
// by the channel's lock; first is also Atomic (stored relaxed under the
// lock, peeked at without it by the non-blocking fast paths).
struct waitq {
	struct sudog *first;
	struct sudog *last;
};

// A G waiting on a channel or a semaphore (sema.c): Go's sudog. One G
// may have several (select), linked through waitlink from gp->waiting.
struct sudog {
	// Protected by the channel's lock while on its queue; then the
	// waker's, until goready; then the G's own:
	struct g *g;
	struct sudog *next, *prev; // on c's recvq or sendq
	void *elem;                // what is sent, or where to receive; NULL: discard
	struct hchan *c;           // the channel it waits on
	bool isSelect;             // a select's: dequeue must win g->selectDone
	bool success;              // woken by a value delivered, not by close (Go 1.17's)
	struct sudog *waitlink;    // g->waiting's list (select's, in lock order); sema.c: the next waiter on elem
	// A semaphore's (sema.c), protected by its root's lock until goready:
	struct sudog *waittail; // the first waiter on elem: the last of its waitlink list, or NULL if alone
	uint32_t ticket;        // semrelease's hand-off (1); a notify list's ticket
};

struct hchan {
	struct spinlock lock;
	// Set by makechan, then read-only:
	uint64_t dataqsiz; // capacity
	uint32_t elemsize;
	void *buf; // dataqsiz elements, just after the struct
	// Set by time.c's newtimer before the channel is anyone else's:
	// the timer that sends on it (Go 1.23's c.timer), or NULL. Its len
	// and cap say 0, as Go's; its one slot holds a Time sent and not yet
	// received, which the timer's Stop and Reset take back. A receive
	// tells the timer when it blocks and stops (maybeRunChan,
	// blockTimerChan, unblockTimerChan), so that the timer is in a heap
	// only while someone waits.
	struct timeTimer *timer;
	// Protected by lock:
	uint64_t sendx, recvx; // where the next send puts and the next receive takes
	struct waitq recvq, sendq;
	// Protected by lock, and Atomic: the non-blocking fast paths of send
	// and receive read them without the lock, as Go's full and empty do.
	// qcount is stored and loaded relaxed: a stale count there is one a
	// racing operation could have given. closed is stored with release
	// and loaded with acquire where a receive returns on it (chanrecv).
	uint64_t qcount; // elements in buf
	uint32_t closed;
};

// chan.c
struct hchan *makechan(uint64_t elemsize, int64_t size);
bool chansend(struct hchan *c, const void *ep, bool block);
bool chanrecv(struct hchan *c, void *ep, bool block, bool *received);
void closechan(struct hchan *c);
struct sudog *acquireSudog(void);
void releaseSudog(struct sudog *s);
struct sudog *waitq_dequeue(struct waitq *q);
void waitq_enqueue(struct waitq *q, struct sudog *sg);
void waitq_remove(struct waitq *q, struct sudog *sg);
struct g *hchan_send(struct hchan *c, struct sudog *sg, const void *ep);
struct g *hchan_recv(struct hchan *c, struct sudog *sg, void *ep);
void chanbufput(struct hchan *c, const void *ep);
void chanbuftake(struct hchan *c, void *ep);
void lockchan(struct hchan *c);
void unlockchan(struct hchan *c);

// time.c: a timer channel's hooks (Go 1.23's), for receives and selects
// on a channel whose timer is not NULL.
void maybeRunChan(struct hchan *c);
void blockTimerChan(struct hchan *c);
void unblockTimerChan(struct hchan *c);

// select.c
struct selectcase;
int selectgo(struct selectcase *cases, int ncases, bool block);
void block_forever(void) __attribute__((noreturn));
