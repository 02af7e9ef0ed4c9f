// spin: CPU-bound goroutines on every P, and a sleeper that wakes every
// 10 ms. Boot it with the scheduler's trace to watch every CPU busy and
// the sleeper on time:
//
//	make run APP=spin CPUS=4 CMDLINE=GODEBUG=schedtrace=100
#include <hood.h>
#include <stdio.h>

static volatile int stop;

static void
spin(void *arg)
{
	(void)arg;
	while (!stop) {
		// no calls: only preemption can take the CPU away
	}
}

int
main(void)
{
	int n = runtime_gomaxprocs(0);
	for (int i = 0; i < 2 * n; i++) {
		go(spin, NULL);
	}
	int64_t worst = 0;
	for (int i = 0; i < 30; i++) {
		int64_t start = time_nanotime();
		time_sleep(10 * Millisecond);
		int64_t late = time_nanotime() - start - 10 * Millisecond;
		if (late > worst) {
			worst = late;
		}
	}
	stop = 1;
	printf("spin: %d spinners on %d Ps; 30 sleeps of 10 ms, the latest %lld us late\n", 2 * n, n,
	       (long long)(worst / Microsecond));
	return 0;
}
