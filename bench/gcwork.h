// gcwork.h: the collector benchmarks' work, shared by hood's
// (bench/gc_bench.c) and Boehm's (bench/boehm/gcbench.c), so that both
// build the same trees; bench/go/gc_test.go is the Go twin. The includer
// defines GCNEW(size), a zeroed object of the collected heap.
//
//	binarytrees(n)   the benchmarks game's binary-trees, sequential: a
//	                 stretch tree of depth n+1, a long-lived tree of depth
//	                 n, and for each depth d from 4 to n by 2, 2^(n-d+4)
//	                 trees of depth d built bottom-up and checked
//	gcbench(s, l, m) Boehm's GCBench (Ellis, Kovac and Boehm): a stretch
//	                 tree of depth s, a long-lived tree of depth l and an
//	                 array of 500,000 doubles; then for each depth d from 4
//	                 to m by 2, trees of depth d built top-down and
//	                 bottom-up, as many as make twice the stretch tree's
//	                 nodes
//
// binarytrees returns the nodes it checked, gcbench the trees it built
// (or -1 if its long-lived data did not survive): the twins agree on both.
#pragma once

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tnode {
	struct tnode *left, *right;
};

static struct tnode *
bottomup(int depth)
{
	struct tnode *n = GCNEW(sizeof *n);
	if (depth > 0) {
		n->left = bottomup(depth - 1);
		n->right = bottomup(depth - 1);
	}
	return n;
}

static long
itemcheck(const struct tnode *n)
{
	if (n->left == NULL) {
		return 1;
	}
	return 1 + itemcheck(n->left) + itemcheck(n->right);
}

// A tree made, checked and dropped in a frame of its own: with the
// pointer to it only there, a conservative collector does not keep the
// tree after (the caller's frame lives on).
static long __attribute__((noinline))
checkedtree(int depth)
{
	return itemcheck(bottomup(depth));
}

static long
binarytrees(int n)
{
	enum { MinDepth = 4 };
	int maxdepth = n < MinDepth + 2 ? MinDepth + 2 : n;
	long check = checkedtree(maxdepth + 1);
	struct tnode *longlived = bottomup(maxdepth);
	for (int d = MinDepth; d <= maxdepth; d += 2) {
		long iters = 1L << (maxdepth - d + MinDepth);
		for (long i = 0; i < iters; i++) {
			check += checkedtree(d);
		}
	}
	return check + itemcheck(longlived);
}

// GCBench's node has two ints besides the links.
struct gnode {
	struct gnode *left, *right;
	int32_t i, j;
};

static long
treesize(int depth)
{
	return (1L << (depth + 1)) - 1;
}

static void
populate(int depth, struct gnode *n)
{
	if (depth > 0) {
		n->left = GCNEW(sizeof *n);
		n->right = GCNEW(sizeof *n);
		populate(depth - 1, n->left);
		populate(depth - 1, n->right);
	}
}

static struct gnode *
maketree(int depth)
{
	struct gnode *n = GCNEW(sizeof *n);
	if (depth > 0) {
		n->left = maketree(depth - 1);
		n->right = maketree(depth - 1);
	}
	return n;
}

// The stretch tree, as checkedtree.
static long __attribute__((noinline))
droppedtree(int depth)
{
	return maketree(depth) != NULL;
}

static long
gcbench(int stretch, int longlived, int maxdepth)
{
	enum { MinDepth = 4, ArraySize = 500000 };
	long trees = droppedtree(stretch);
	struct gnode *ll = GCNEW(sizeof *ll);
	populate(longlived, ll);
	double *array = GCNEW(ArraySize * sizeof *array);
	for (int i = 1; i < ArraySize / 2; i++) {
		array[i] = 1.0 / i;
	}
	for (int d = MinDepth; d <= maxdepth; d += 2) {
		long iters = 2 * treesize(stretch) / treesize(d);
		for (long i = 0; i < iters; i++) {
			struct gnode *t = GCNEW(sizeof *t);
			populate(d, t); // top-down
			trees++;
		}
		for (long i = 0; i < iters; i++) {
			trees += maketree(d) != NULL; // bottom-up
		}
	}
	if (ll->left == NULL || array[1000] != 1.0 / 1000) {
		return -1; // the long-lived data did not survive
	}
	return trees;
}

#ifdef __linux__
// The process's peak resident set since the last gcrss_reset, in bytes:
// /proc/self/status's VmHWM, which writing 5 to /proc/self/clear_refs
// resets (Linux 4.0). 0 if the files cannot be read.
static void
gcrss_reset(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");
	if (f != NULL) {
		fputs("5", f);
		fclose(f);
	}
}

static uint64_t
gcrss_peak(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	uint64_t kb = 0;
	while (f != NULL && fgets(line, sizeof line, f) != NULL) {
		if (strncmp(line, "VmHWM:", 6) == 0) {
			kb = strtoull(line + 6, NULL, 10);
		}
	}
	if (f != NULL) {
		fclose(f);
	}
	return kb * 1024;
}
#endif
