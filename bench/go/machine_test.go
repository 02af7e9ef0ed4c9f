// Go twins of bench/machine_bench.c: the nearest Go runtime operation to
// each of hood's machine benchmarks, with the same names, so that the two
// columns line up. Run with: go test -bench . -benchtime 500ms
//
// hood's BenchmarkIPIRoundTrip has no twin: a Go program cannot send an
// inter-processor interrupt; its nearest relative is the cross-thread
// wakeup below.
package bench

import (
	"runtime"
	"sort"
	"testing"
	"time"
)

// hood: nanotime() from the TSC. Go: time.Now's monotonic reading (vDSO).
func BenchmarkNanotime(b *testing.B) {
	var sum int64
	start := time.Now()
	for i := 0; i < b.N; i++ {
		sum += int64(time.Since(start))
	}
	if sum == 1 {
		b.Fatal("impossible")
	}
}

// hood: two kernel threads on two CPUs wake each other through notes.
// Go: two goroutines locked to two OS threads wake each other through
// unbuffered channels (a futex wakeup each way).
func BenchmarkNoteWakeupCrossCPU(b *testing.B) {
	if runtime.GOMAXPROCS(0) < 2 {
		b.Skip("needs GOMAXPROCS >= 2")
	}
	pingpong(b, true)
}

// hood: the same on one CPU, two thread switches per op. Go: the same
// with GOMAXPROCS=1, two goroutine switches per op.
func BenchmarkKthreadSwitch(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	pingpong(b, false)
}

func pingpong(b *testing.B, lock bool) {
	ping, pong := make(chan struct{}), make(chan struct{})
	done := make(chan struct{})
	go func() {
		if lock {
			runtime.LockOSThread()
		}
		for i := 0; i < b.N; i++ {
			<-ping
			pong <- struct{}{}
		}
		close(done)
	}()
	if lock {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ping <- struct{}{}
		<-pong
	}
	<-done
}

// hood: a timer event 1 ms ahead. Go: time.Sleep(1 ms). Both report how
// late the wakeup was, p50 and p99.
func BenchmarkTimerLateness(b *testing.B) {
	late := make([]time.Duration, b.N)
	for i := 0; i < b.N; i++ {
		when := time.Now().Add(time.Millisecond)
		time.Sleep(time.Millisecond)
		late[i] = time.Since(when)
	}
	sort.Slice(late, func(i, j int) bool { return late[i] < late[j] })
	b.ReportMetric(float64(late[b.N/2].Microseconds()), "p50-us")
	b.ReportMetric(float64(late[b.N*99/100].Microseconds()), "p99-us")
}
