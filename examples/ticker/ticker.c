// ticker: a loop over select, as Go programs wait for several things at
// once: jobs from a producer goroutine, a Ticker's beat (a progress line
// every 50 ms) and a timeout (time.After) that ends the loop once no job
// has come for 200 ms. The producer sends jobs= jobs (default 20), one
// every 10 ms, then stops. The same file runs on bare metal (make run
// APP=ticker) and on Linux (README: Using hood on Linux).

#include <hood.h>
#include <stdio.h>
#include <stdlib.h>

struct producer {
	struct hchan *jobs;
	long n;
};

static void
produce(void *arg)
{
	struct producer *p = arg;
	for (long i = 1; i <= p->n; i++) {
		time_sleep(10 * Millisecond);
		chan_send(p->jobs, &i);
	}
	// Then silence: the consumer's timeout ends the program.
}

int
main(void)
{
	const char *arg = runtime_getenv("jobs");
	char *end = NULL;
	long n = arg != NULL ? strtol(arg, &end, 10) : 20;
	if (arg != NULL && (*arg == '\0' || *end != '\0' || n < 1 || n > 100000)) {
		printf("ticker: bad value for jobs: \"%s\" (want a count from 1 to 100000)\n", arg);
		return 2;
	}
	const int64_t idle = 200 * Millisecond;
	struct producer p = {make_chan(long, 0), n};
	go(produce, &p);
	struct time_time start = time_now();
	struct time_ticker *tk = time_newticker(50 * Millisecond);
	struct hchan *timeout = time_after(idle);
	long job, done = 0, ticks = 0;
	struct time_time beat;
	for (;;) {
		struct selectcase cases[] = {
			select_recv(p.jobs, &job),     // case job := <-jobs:
			select_recv(tk->C, &beat),     // case beat := <-tk.C:
			select_recv(timeout, NULL),    // case <-timeout:
		};
		int i = chan_select(cases, 3, false);
		if (i == 0) {
			if (job != done + 1) {
				printf("ticker: job %ld came after job %ld\n", job, done);
				return 1;
			}
			done++;
			timeout = time_after(idle); // a new timeout from the last job
		} else if (i == 1) {
			ticks++;
			printf("ticker: tick %ld, %s late: %ld jobs so far\n", ticks,
			       time_duration_string(time_since(beat)), done);
		} else {
			break;
		}
	}
	time_ticker_stop(tk);
	printf("ticker: %ld jobs, %ld ticks, then no job for %s: done after %s\n", done, ticks,
	       time_duration_string(idle), time_duration_string(time_since(start)));
	return done == n ? 0 : 1;
}
