// sieve: Go's concurrent prime sieve (the Go tour's and the Go spec's
// example), with hood's channels: a goroutine generates 2, 3, 4, ...;
// each prime found starts a filter goroutine that passes on what its
// prime does not divide; main takes the next prime from the last filter.
// Prints the first ten primes and the 200th (1223). The same file runs on
// bare metal (make run APP=sieve) and on Linux (README: Using hood on
// Linux).

#include <hood.h>
#include <stdio.h>

enum { Primes = 200 };

static void
generate(void *arg)
{
	struct hchan *out = arg;
	for (long i = 2;; i++) {
		chan_send(out, &i);
	}
}

struct filter {
	struct hchan *in, *out;
	long prime;
};

static void
filter(void *arg)
{
	struct filter *f = arg;
	for (;;) {
		long v = chan_recvv(f->in, long);
		if (v % f->prime != 0) {
			chan_send(f->out, &v);
		}
	}
}

int
main(void)
{
	struct hchan *ch = make_chan(long, 0);
	go(generate, ch);
	long prime = 0;
	for (int i = 1; i <= Primes; i++) {
		prime = chan_recvv(ch, long);
		if (i <= 10) {
			printf("%ld%s", prime, i == 10 ? "\n" : " ");
		}
		struct filter *f = new(struct filter);
		*f = (struct filter){ch, make_chan(long, 0), prime};
		go(filter, f);
		ch = f->out;
	}
	printf("sieve: prime %d is %ld\n", Primes, prime);
	return 0; // the filters are still running: main's return ends them, as in Go
}
