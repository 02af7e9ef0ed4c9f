// Go twins of bench/sched_bench.c, with the same names and the same work.
package bench

import (
	"runtime"
	"sort"
	"sync"
	"testing"
	"time"
)

// Create, run and end a goroutine; waiting for each batch of 1000.
func BenchmarkGoroutineSpawn(b *testing.B) {
	var wg sync.WaitGroup
	for i := 0; i < b.N; {
		batch := b.N - i
		if batch > 1000 {
			batch = 1000
		}
		wg.Add(batch)
		for j := 0; j < batch; j++ {
			go wg.Done()
		}
		wg.Wait()
		i += batch
	}
}

// Two goroutines yield to each other; an op is one Gosched by each.
func BenchmarkGosched(b *testing.B) {
	var wg sync.WaitGroup
	wg.Add(2)
	for k := 0; k < 2; k++ {
		go func() {
			for i := 0; i < b.N; i++ {
				runtime.Gosched()
			}
			wg.Done()
		}()
	}
	wg.Wait()
}

// Two goroutines wake each other: an op is a round trip. Go parks and
// readies through an unbuffered channel; hood through gopark/goready.
func BenchmarkParkReadyPingPong(b *testing.B) {
	ping, pong := make(chan struct{}), make(chan struct{})
	go func() {
		for i := 0; i < b.N; i++ {
			<-ping
			pong <- struct{}{}
		}
	}()
	for i := 0; i < b.N; i++ {
		ping <- struct{}{}
		<-pong
	}
}

// time.Sleep(1 ms), n times: how late it woke, p50 and p99.
func BenchmarkSleep1ms(b *testing.B) {
	late := make([]time.Duration, b.N)
	for i := 0; i < b.N; i++ {
		start := time.Now()
		time.Sleep(time.Millisecond)
		late[i] = time.Since(start) - time.Millisecond
	}
	sort.Slice(late, func(i, j int) bool { return late[i] < late[j] })
	b.ReportMetric(float64(late[b.N/2].Microseconds()), "p50-us")
	b.ReportMetric(float64(late[b.N*99/100].Microseconds()), "p99-us")
}
