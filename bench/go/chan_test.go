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
