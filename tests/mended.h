// mended.h: whether an M that a test saw has ended. An ended M goes on
// sched.freem, and newm may give it to a new thread soon after (its
// mreuse, in runtime/schedule.c): so "ended" is "exited, or reused
// already", which a new id tells. Read on g0 under sched.lock, which
// guards the reuse.
#pragma once

#include "runtime/runtime.h"

struct mended {
	struct m *mp;
	int64_t id; // mp->id when the test saw it
	bool ended;
};

static void
mended_g0(void *arg)
{
	struct mended *e = arg;
	spin_lock(&sched.lock);
	// Load-acquire; pairs with mexit's store-release of exited.
	e->ended = atomic_load_acq(&e->mp->exited) || e->mp->id != e->id;
	spin_unlock(&sched.lock);
}

static inline bool
mended(struct m *mp, int64_t id)
{
	struct mended e = {mp, id, false};
	systemstack(mended_g0, &e);
	return e.ended;
}
