// Go twins of bench/sched_bench.c, with the same names and the same work.
package bench

import (
	"runtime"
	"sort"
	"sync"
	"syscall"
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

// Many goroutines that sleep: batches of 30000 goroutines, each sleeping
// 1 ms and ending; an op is one goroutine's life.
func BenchmarkSpawnSleep30000(b *testing.B) {
	var wg sync.WaitGroup
	for i := 0; i < b.N; {
		batch := b.N - i
		if batch > 30000 {
			batch = 30000
		}
		wg.Add(batch)
		for j := 0; j < batch; j++ {
			go func() {
				time.Sleep(time.Millisecond)
				wg.Done()
			}()
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

// Two goroutines wake each other through blocking system calls: read(2)
// on two pipes; an op is a round trip.
func BenchmarkBlockingPingPong(b *testing.B) {
	var ping, pong [2]int
	if err := syscall.Pipe(ping[:]); err != nil {
		b.Fatal(err)
	}
	if err := syscall.Pipe(pong[:]); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 1)
	done := make(chan struct{})
	go func() {
		p := make([]byte, 1)
		for i := 0; i < b.N; i++ {
			syscall.Read(ping[0], p)
			syscall.Write(pong[1], p)
		}
		close(done)
	}()
	for i := 0; i < b.N; i++ {
		syscall.Write(ping[1], buf)
		syscall.Read(pong[0], buf)
	}
	<-done
	for _, fd := range []int{ping[0], ping[1], pong[0], pong[1]} {
		syscall.Close(fd)
	}
}

// GOMAXPROCS changed back and forth: an op is one stop and start of the
// world.
func BenchmarkGOMAXPROCS(b *testing.B) {
	n := runtime.GOMAXPROCS(0)
	for i := 0; i < b.N; i++ {
		if i%2 == 0 {
			runtime.GOMAXPROCS(n + 1)
		} else {
			runtime.GOMAXPROCS(n)
		}
	}
	runtime.GOMAXPROCS(n)
}
