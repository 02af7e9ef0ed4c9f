// Go twins of bench/chan_bench.c, with the same names and the same work.
package bench

import "testing"

// Two goroutines bounce an int over two unbuffered channels: a round trip.
func BenchmarkChanPingPong(b *testing.B) {
	ping, pong := make(chan int), make(chan int)
	done := make(chan struct{})
	go func() {
		for v := range ping {
			pong <- v + 1
		}
		close(done)
	}()
	for i := 0; i < b.N; i++ {
		ping <- i
		<-pong
	}
	close(ping)
	<-done
}

// One goroutine sends b.N ints on a channel of 100, another takes them.
func BenchmarkChanProdCons100(b *testing.B) {
	c := make(chan int, 100)
	go func() {
		for i := 0; i < b.N; i++ {
			c <- i
		}
		close(c)
	}()
	sum := 0
	for v := range c {
		sum += v
	}
	if sum != b.N*(b.N-1)/2 {
		b.Fatal("the consumer's sum is wrong")
	}
}

// Send an int into a channel of one and take it back.
func BenchmarkChanSendRecv(b *testing.B) {
	c := make(chan int, 1)
	for i := 0; i < b.N; i++ {
		c <- i
		<-c
	}
}

// A select of a receive and a default on an empty channel.
func BenchmarkSelectNonblock(b *testing.B) {
	c := make(chan int)
	for i := 0; i < b.N; i++ {
		select {
		case <-c:
			b.Fatal("a receive from an empty channel went")
		default:
		}
	}
}

// Go's concurrent prime sieve up to 1000, each stage closing its output
// when its input closes; an op is the whole sieve (168 primes).
func BenchmarkPrimeSieve(b *testing.B) {
	for n := 0; n < b.N; n++ {
		ch := make(chan int)
		go func(out chan<- int) {
			for i := 2; i <= 1000; i++ {
				out <- i
			}
			close(out)
		}(ch)
		k := 0
		for {
			prime, ok := <-ch
			if !ok {
				break
			}
			out := make(chan int)
			go func(in <-chan int, out chan<- int, prime int) {
				for v := range in {
					if v%prime != 0 {
						out <- v
					}
				}
				close(out)
			}(ch, out, prime)
			ch = out
			k++
		}
		if k != 168 {
			b.Fatal("the sieve found the wrong number of primes")
		}
	}
}
