// mended.h: whether an M that a test saw has ended. An ended M goes on
// sched.freem, and newm may give it to a new thread soon after (its
// mreuse, in runtime/schedule.c): so "ended" is "exited, or reused
// already", which a new id tells. Read on g0 under sched.lock, which
// guards the reuse.
#pragma once

#include "runtime/runtime.h"

// An M as a test saw it: the M and its id then.
struct seenm {
	struct m *mp;
	int64_t id;
};

// The calling goroutine's M, which it is locked to (LockOSThread).
static inline void
seenm_here(struct seenm *s)
{
	s->mp = getm();
	s->id = s->mp->id;
}

struct mended {
	const struct seenm *s;
	bool ended;
};

static void
mended_g0(void *arg)
{
	struct mended *e = arg;
	spin_lock(&sched.lock);
	// Load-acquire; pairs with mexit's store-release of exited.
	e->ended = atomic_load_acq(&e->s->mp->exited) || e->s->mp->id != e->s->id;
	spin_unlock(&sched.lock);
}

static inline bool
mended(const struct seenm *s)
{
	struct mended e = {s, false};
	systemstack(mended_g0, &e);
	return e.ended;
}
