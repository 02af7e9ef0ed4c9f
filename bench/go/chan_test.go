// Go twins of bench/chan_bench.c, with the same names and the same work.
package bench

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// Two goroutines bounce an int over two unbuffered channels at GOMAXPROCS
// 1 and 2: a round trip.
func BenchmarkChanUnbufferedPingPong(b *testing.B) {
	for _, procs := range []int{1, 2} {
		b.Run(fmt.Sprintf("procs=%d", procs), func(b *testing.B) {
			was := runtime.GOMAXPROCS(procs)
			defer runtime.GOMAXPROCS(was)
			ping, pong := make(chan int), make(chan int)
			done := make(chan struct{})
			go func() {
				for v := range ping {
					pong <- v + 1
				}
				close(done)
			}()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				ping <- i
				<-pong
			}
			b.StopTimer()
			close(ping)
			<-done
		})
	}
}

// One goroutine sends b.N ints on a channel of 128, another takes them.
func BenchmarkChanBuffered128(b *testing.B) {
	c := make(chan int, 128)
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

// Four producers send b.N ints in all on one channel of 0 or 100; four
// consumers take them.
func BenchmarkChanProdCons(b *testing.B) {
	for _, capacity := range []int{0, 100} {
		b.Run(fmt.Sprintf("cap=%d", capacity), func(b *testing.B) {
			const producers, consumers = 4, 4
			each := b.N / producers
			c := make(chan int, capacity)
			var senders, takers sync.WaitGroup
			var total atomic.Int64
			senders.Add(producers)
			takers.Add(consumers)
			for i := 0; i < consumers; i++ {
				go func() {
					sum := 0
					for v := range c {
						sum += v
					}
					total.Add(int64(sum))
					takers.Done()
				}()
			}
			for i := 0; i < producers; i++ {
				go func() {
					for j := 0; j < each; j++ {
						c <- j
					}
					senders.Done()
				}()
			}
			senders.Wait()
			close(c)
			takers.Wait()
			if total.Load() != int64(producers*(each*(each-1)/2)) {
				b.Fatal("the consumers' sum is wrong")
			}
		})
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

// A sender spreads b.N ints over four unbuffered channels in turn; the
// receiver takes each with a select of four receives.
func BenchmarkSelect4(b *testing.B) {
	var c [4]chan int
	for i := range c {
		c[i] = make(chan int)
	}
	done := make(chan struct{})
	go func() {
		for i := 0; i < b.N; i++ {
			c[i%4] <- i
		}
		close(done)
	}()
	sum := 0
	for i := 0; i < b.N; i++ {
		var v int
		select {
		case v = <-c[0]:
		case v = <-c[1]:
		case v = <-c[2]:
		case v = <-c[3]:
		}
		sum += v
	}
	<-done
	if sum != b.N*(b.N-1)/2 {
		b.Fatal("the receiver's sum is wrong")
	}
}

// A select of a receive and a default on an empty channel.
func BenchmarkSelectDefault(b *testing.B) {
	c := make(chan int)
	for i := 0; i < b.N; i++ {
		select {
		case <-c:
			b.Fatal("a receive from an empty channel went")
		default:
		}
	}
}

var deferCount int

//go:noinline
func deferOnce() {
	defer func() { deferCount++ }()
}

// A call of a function that defers one call.
func BenchmarkDefer(b *testing.B) {
	deferCount = 0
	for i := 0; i < b.N; i++ {
		deferOnce()
	}
	if deferCount != b.N {
		b.Fatal("a deferred call did not run")
	}
}

//go:noinline
func panicOnce() {
	defer func() {
		if recover() == "boom" {
			deferCount++
		}
	}()
	panic("boom")
}

// A call of a function that panics, and recovers in its deferred call.
func BenchmarkPanicRecover(b *testing.B) {
	deferCount = 0
	for i := 0; i < b.N; i++ {
		panicOnce()
	}
	if deferCount != b.N {
		b.Fatal("a panic was not recovered")
	}
}

// Go's concurrent prime sieve of the first 2000 primes (up to 17389),
// each stage closing its output when its input closes; an op is the
// whole sieve.
func BenchmarkPrimeSieve(b *testing.B) {
	for n := 0; n < b.N; n++ {
		ch := make(chan int)
		go func(out chan<- int) {
			for i := 2; i <= 17389; i++ {
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
		if k != 2000 {
			b.Fatal("the sieve found the wrong number of primes")
		}
	}
}
