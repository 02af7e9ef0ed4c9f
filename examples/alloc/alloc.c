// alloc: the runtime's heap from a program's side. A million small
// objects with new (a linked list, so each is reached), a thousand 1 MiB
// buffers with malloc and free, then runtime.MemStats. The same program
// runs on bare metal (make run APP=alloc) and on Linux against
// build/host/libhood.a (README, "Using hood on Linux").

#include <hood.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node {
	struct node *next;
	int64_t value;
};

int
main(void)
{
	struct node *list = NULL;
	for (int64_t i = 0; i < 1000000; i++) {
		struct node *n = new(struct node);
		n->value = i;
		n->next = list;
		list = n;
	}
	int64_t sum = 0;
	for (struct node *n = list; n != NULL; n = n->next) {
		sum += n->value;
	}
	printf("alloc: 1000000 nodes, sum %lld\n", (long long)sum);

	for (int i = 0; i < 1000; i++) {
		char *buf = malloc(1 << 20);
		memset(buf, i, 1 << 20);
		if (buf[12345] != (char)i) {
			printf("alloc: buffer %d lost its contents\n", i);
			return 1;
		}
		free(buf);
	}
	printf("alloc: 1000 buffers of 1 MiB\n");

	struct memstats ms;
	runtime_readmemstats(&ms);
	printf("alloc: Mallocs %llu HeapObjects %llu HeapAlloc %llu MiB HeapSys %llu MiB Sys %llu MiB\n",
	       (unsigned long long)ms.Mallocs, (unsigned long long)ms.HeapObjects,
	       (unsigned long long)ms.HeapAlloc >> 20, (unsigned long long)ms.HeapSys >> 20,
	       (unsigned long long)ms.Sys >> 20);
	return 0;
}
