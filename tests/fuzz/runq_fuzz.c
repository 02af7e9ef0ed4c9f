// runq_fuzz.c: libFuzzer on the run queues (runtime/runq.c), one thread,
// against a model: each input byte is an operation (put, put as runnext,
// get, steal, take from the global queue) on two Ps and the global queue;
// at the end every queue is drained, and each G put must come out exactly
// once, none invented. The ring's overflow to the global queue and
// runnext's displacement are reached quickly (the ring holds 256). make
// fuzz.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/runtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

// What runq.c needs of the rest of the runtime, for one thread.
struct schedt sched;
int32_t gomaxprocs = 2;

void
spin_lock(struct spinlock *l)
{
	(void)l;
}

void
spin_unlock(struct spinlock *l)
{
	(void)l;
}

void
os_usleep(int64_t us)
{
	(void)us;
}

void throw(const char *msg)
{
	fprintf(stderr, "fatal error: %s\n", msg);
	abort();
}

enum { NG = 8192 };

static struct g gs[NG];
static int queued[NG]; // the model: times each G is in some queue

static void
taken(struct g *gp)
{
	if (gp == NULL) {
		return;
	}
	int i = gp - gs;
	if (i < 0 || i >= NG || queued[i] != 1) {
		abort(); // invented, or taken twice
	}
	queued[i] = 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct p p0, p1;
	struct p *ps[2] = {&p0, &p1};
	memset(&p0, 0, sizeof p0);
	memset(&p1, 0, sizeof p1);
	memset(&sched, 0, sizeof sched);
	memset(queued, 0, sizeof queued);
	p0.status = p1.status = Pidle; // runqgrab does not wait for an idle victim
	int next = 0;
	bool inherit;
	for (size_t i = 0; i < size; i++) {
		struct p *pp = ps[data[i] >> 7], *other = ps[!(data[i] >> 7)];
		switch (data[i] % 6) {
		case 0:
		case 1:
			// A burst of puts, so the ring fills up sometimes.
			for (int k = 0; k < 1 + (data[i] >> 3) % 16 * 8 && next < NG; k++) {
				queued[next] = 1;
				runqput(pp, &gs[next++], data[i] % 6 == 1);
			}
			break;
		case 2:
			taken(runqget(pp, &inherit));
			break;
		case 3:
			// Only a P with an empty ring steals (findrunnable).
			if (runqlen(pp) == 0) {
				taken(runqsteal(pp, other, data[i] & 8));
			}
			break;
		case 4:
			// As schedule and findrunnable do: with an empty ring.
			if (sched.runqsize > 0 && runqlen(pp) == 0) {
				taken(globrunqget(pp, (data[i] >> 3) % 4));
			}
			break;
		case 5:
			if (runqempty(pp) != (runqlen(pp) == 0 && pp->runnext == NULL)) {
				abort();
			}
			break;
		}
	}
	for (int k = 0; k < 2; k++) {
		struct g *gp;
		while ((gp = runqget(ps[k], &inherit)) != NULL) {
			taken(gp);
		}
	}
	while (sched.runqsize > 0) {
		taken(globrunqget(&p0, 1));
		struct g *gp;
		while ((gp = runqget(&p0, &inherit)) != NULL) {
			taken(gp);
		}
	}
	for (int k = 0; k < next; k++) {
		if (queued[k] != 0) {
			abort(); // lost
		}
	}
	return 0;
}
