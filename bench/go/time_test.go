// Go twins of bench/time_bench.c, with the same names and the same work.
package bench

import (
	"sort"
	"testing"
	"time"
)

// NewTimer(1h) and its Stop.
func BenchmarkTimerCreateStop(b *testing.B) {
	for i := 0; i < b.N; i++ {
		time.NewTimer(time.Hour).Stop()
	}
}

// AfterFunc(1h, f) and its Stop.
func BenchmarkAfterFunc(b *testing.B) {
	f := func() {}
	for i := 0; i < b.N; i++ {
		time.AfterFunc(time.Hour, f).Stop()
	}
}

// One Timer reset to 1h, again and again.
func BenchmarkTimerReset(b *testing.B) {
	t := time.NewTimer(time.Hour)
	for i := 0; i < b.N; i++ {
		t.Reset(time.Hour)
	}
	t.Stop()
}

// A 1 us Ticker, always due: an op is one tick received.
func BenchmarkTickerDeliver(b *testing.B) {
	tk := time.NewTicker(time.Microsecond)
	for i := 0; i < b.N; i++ {
		<-tk.C
	}
	tk.Stop()
}

var nowSink int

// time.Now.
func BenchmarkTimeNow(b *testing.B) {
	for i := 0; i < b.N; i++ {
		nowSink += time.Now().Nanosecond()
	}
}

// A 1 ms Ticker received at once: how late each tick was received, p50
// and p99, and the ticks dropped, in percent of those due.
func BenchmarkTicker1ms(b *testing.B) {
	late := make([]time.Duration, b.N)
	tk := time.NewTicker(time.Millisecond)
	prev := <-tk.C
	dropped := 0
	for i := 0; i < b.N; i++ {
		v := <-tk.C
		late[i] = time.Since(v)
		// To the nearest beat: Go's Times are a little after theirs.
		dropped += int((v.Sub(prev)+time.Millisecond/2)/time.Millisecond) - 1
		prev = v
	}
	tk.Stop()
	sort.Slice(late, func(i, j int) bool { return late[i] < late[j] })
	b.ReportMetric(float64(late[b.N/2].Microseconds()), "p50-us")
	b.ReportMetric(float64(late[b.N*99/100].Microseconds()), "p99-us")
	b.ReportMetric(100*float64(dropped)/float64(b.N+dropped), "drops-%")
}
