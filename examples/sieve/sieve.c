// sieve: Go's concurrent prime sieve (the Go tour's and the Go spec's
// example), with hood's channels: a goroutine generates 2, 3, 4, ...;
// each prime found starts a filter goroutine that passes on what its
// prime does not divide; main takes the next prime from the last filter.
// Prints the first ten primes and the 2000th (17389), or the nth with
// primes=n in the environment (on bare metal, the boot command line:
// make run APP=sieve CMDLINE=primes=100). The same file runs on bare
// metal (make run APP=sieve) and on Linux (README: Using hood on Linux).

#include <hood.h>
#include <stdio.h>
#include <stdlib.h>

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
	const char *arg = runtime_getenv("primes");
	char *end = NULL;
	long primes = arg != NULL ? strtol(arg, &end, 10) : 2000;
	if (arg != NULL && (*arg == '\0' || *end != '\0' || primes < 1 || primes > 1000000)) {
		printf("sieve: bad value for primes: \"%s\" (want a count from 1 to 1000000)\n", arg);
		return 2;
	}
	struct hchan *ch = make_chan(long, 0);
	go(generate, ch);
	long prime = 0;
	for (long i = 1; i <= primes; i++) {
		prime = chan_recvv(ch, long);
		if (i <= 10) {
			printf("%ld%s", prime, i == 10 ? "\n" : " ");
		}
		struct filter *f = new(struct filter);
		*f = (struct filter){ch, make_chan(long, 0), prime};
		go(filter, f);
		ch = f->out;
	}
	printf("sieve: prime %ld is %ld\n", primes, prime);
	return 0; // the filters are still running: main's return ends them, as in Go
}
