// wordfreq: the word count a Go programmer writes first, with hood's maps
// and sync: a text of copies= copies (default 2000) of three lines is cut into
// chunks, a worker goroutine per chunk counts its words in a map of its
// own, then adds them to the shared map under a Mutex; a WaitGroup tells
// main when all are done, and it prints the five commonest words and the
// totals. The counts are exact (each word's is its count in the verse
// times the copies), so a lost update shows. The same file runs on bare
// metal (make run APP=wordfreq) and on Linux (README: Using hood on Linux).

#include <ctype.h>
#include <hood.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char verse[] =
	"the scheduler runs the goroutines and the collector frees the heap "
	"a channel joins two goroutines and a mutex guards the map of words "
	"the kernel boots the machine and the runtime takes it from there ";

enum { Chunks = 16 };

static struct hmap *counts; // word -> long, under mu
static struct sync_mutex mu;

struct chunk {
	const char *text;
	size_t len;
};

static void
count(void *arg)
{
	struct chunk *c = arg;
	struct hmap *mine = make_mapnoscan(struct gostring, long, MapKeyString, 64);
	size_t i = 0;
	while (i < c->len) {
		while (i < c->len && !isalpha((unsigned char)c->text[i])) {
			i++;
		}
		size_t start = i;
		while (i < c->len && isalpha((unsigned char)c->text[i])) {
			i++;
		}
		if (i > start) {
			(*(long *)map_assign_faststr(mine, gostringn(c->text + start, i - start)))++;
		}
	}
	sync_mutex_lock(&mu);
	struct hiter it;
	for (map_range(mine, &it); it.key != NULL; map_next(&it)) {
		*(long *)map_assign(counts, it.key) += *(long *)it.elem;
	}
	sync_mutex_unlock(&mu);
}

struct wordcount {
	struct gostring word;
	long n;
};

static int
bycount(const void *a, const void *b)
{
	const struct wordcount *x = a, *y = b;
	if (x->n != y->n) {
		return x->n < y->n ? 1 : -1;
	}
	size_t n = x->word.len < y->word.len ? x->word.len : y->word.len;
	int c = memcmp(x->word.str, y->word.str, n);
	return c != 0 ? c : (int)x->word.len - (int)y->word.len;
}

int
main(void)
{
	const char *arg = runtime_getenv("copies");
	char *end = NULL;
	long copies = arg != NULL ? strtol(arg, &end, 10) : 2000;
	if (arg != NULL && (*arg == '\0' || *end != '\0' || copies < Chunks || copies > 100000)) {
		printf("wordfreq: bad value for copies: \"%s\" (want a count from %d to 100000)\n", arg, Chunks);
		return 2;
	}
	size_t vlen = sizeof verse - 1;
	char *text = runtime_malloc(vlen * copies);
	for (long i = 0; i < copies; i++) {
		memcpy(text + i * vlen, verse, vlen);
	}
	counts = make_mapnoscan(struct gostring, long, MapKeyString, 0);
	// Chunks end at copies' boundaries, which are spaces: no word is cut.
	struct chunk chunks[Chunks];
	struct sync_waitgroup wg = {0};
	for (int i = 0; i < Chunks; i++) {
		long first = copies * i / Chunks, last = copies * (i + 1) / Chunks;
		chunks[i] = (struct chunk){text + first * vlen, (size_t)(last - first) * vlen};
		sync_waitgroup_go(&wg, count, &chunks[i]);
	}
	sync_waitgroup_wait(&wg);

	long n = map_len(counts), total = 0, i = 0;
	struct wordcount *all = runtime_malloc(n * sizeof *all);
	struct hiter it;
	for (map_range(counts, &it); it.key != NULL; map_next(&it)) {
		all[i] = (struct wordcount){*(const struct gostring *)it.key, *(long *)it.elem};
		total += all[i++].n;
	}
	qsort(all, n, sizeof *all, bycount);
	for (i = 0; i < 5 && i < n; i++) {
		printf("%.*s %ld\n", (int)all[i].word.len, all[i].word.str, all[i].n);
	}
	printf("wordfreq: %ld words, %ld different, in %ld copies by %d goroutines\n", total, n, copies, Chunks);
	return 0;
}
