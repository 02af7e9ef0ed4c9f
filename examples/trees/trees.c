// trees: the collector from a program's side. Four goroutines build
// binary trees whose nodes carry a checksum, check them and drop them,
// round after round, beside a tree that lives throughout; the heap stays
// flat because the collector frees each dropped tree. Runs forever, or
// rounds=n rounds each (in the environment; on bare metal the boot
// command line: make run APP=trees CMDLINE='rounds=100 GODEBUG=gctrace=1'),
// then prints what the collector did and checks that the heap did not
// grow: its peak after the first second at most twice that second's
// (forever: the heap every 10 s). The same file runs on Linux (README:
// Using hood on Linux).

#include <hood.h>
#include <stdio.h>
#include <stdlib.h>

enum { Workers = 4, Depth = 14, LongLivedDepth = 16 };

struct node {
	struct node *left, *right;
	long sum; // the subtree's nodes, counted when it was made
};

static struct node *
build(int depth)
{
	struct node *n = new(struct node);
	n->sum = 1;
	if (depth > 0) {
		n->left = build(depth - 1);
		n->right = build(depth - 1);
		n->sum += n->left->sum + n->right->sum;
	}
	return n;
}

// The nodes of a good tree, or -1 if a node was lost or overwritten.
static long
check(const struct node *n)
{
	if (n->left == NULL) {
		return n->right == NULL && n->sum == 1 ? 1 : -1;
	}
	long l = check(n->left), r = check(n->right);
	return l < 0 || r < 0 || n->sum != 1 + l + r ? -1 : n->sum;
}

static long rounds; // 0: forever

// A worker's rounds; it says on done whether every tree checked.
static void
worker(void *arg)
{
	struct hchan *done = arg;
	int ok = 1;
	for (long i = 0; rounds == 0 || i < rounds; i++) {
		if (check(build(Depth)) != (2L << Depth) - 1) {
			ok = 0;
		}
	}
	chan_send(done, &ok);
}

static uint64_t
heapalloc(void)
{
	struct memstats ms;
	runtime_readmemstats(&ms);
	return ms.HeapAlloc;
}

int
main(void)
{
	const char *arg = runtime_getenv("rounds");
	char *end = NULL;
	rounds = arg != NULL ? strtol(arg, &end, 10) : 0;
	if (arg != NULL && (*arg == '\0' || *end != '\0' || rounds < 0)) {
		printf("trees: bad value for rounds: \"%s\" (want a count, 0 for forever)\n", arg);
		return 2;
	}
	struct node *longlived = build(LongLivedDepth);
	struct hchan *done = make_chan(int, Workers);
	for (int i = 0; i < Workers; i++) {
		go(worker, done);
	}
	// The heap's peak, sampled every 10 ms: over the first second, and
	// after it (forever: every 10 s, printed).
	uint64_t first = 0, later = 0;
	int64_t start = time_nanotime(), lastprint = start;
	while (chan_len(done) < Workers) {
		time_sleep(10 * Millisecond);
		uint64_t h = heapalloc();
		int64_t now = time_nanotime();
		uint64_t *peak = now - start < Second ? &first : &later;
		if (h > *peak) {
			*peak = h;
		}
		if (rounds == 0 && now - lastprint >= 10 * Second) {
			printf("trees: heap %lu MiB, peak %lu MiB after the first second\n", (unsigned long)(h >> 20),
			       (unsigned long)(later >> 20));
			lastprint = now;
		}
	}
	int ok = 1;
	for (int i = 0; i < Workers; i++) {
		ok &= chan_recvv(done, int);
	}
	struct memstats ms;
	runtime_readmemstats(&ms);
	if (!ok || check(longlived) != (2L << LongLivedDepth) - 1) {
		printf("trees: a tree lost nodes\n");
		return 1;
	}
	printf("trees: %d goroutines x %ld rounds of %ld nodes, %u cycles\n", Workers, rounds, (2L << Depth) - 1,
	       ms.NumGC);
	printf("trees: heap peak %lu MiB in the first second, %lu MiB after\n", (unsigned long)(first >> 20),
	       (unsigned long)(later >> 20));
	if (later > 2 * first + (4 << 20)) {
		printf("trees: the heap grew\n");
		return 1;
	}
	return 0;
}
