// Go twins of bench/sync_bench.c, with the same names and the same work.
package bench

import (
	"fmt"
	"runtime"
	"sync"
	"testing"
)

// One goroutine locks and unlocks its mutex.
func BenchmarkMutexUncontended(b *testing.B) {
	var mu sync.Mutex
	for i := 0; i < b.N; i++ {
		mu.Lock()
		mu.Unlock()
	}
}

// G goroutines share one mutex, each adding to a counter under it; b.N
// locks in all.
func BenchmarkMutexContended(b *testing.B) {
	for _, g := range []int{2, 8} {
		b.Run(fmt.Sprintf("goroutines=%d", g), func(b *testing.B) {
			var mu sync.Mutex
			var wg sync.WaitGroup
			count := 0
			each := b.N / g
			for k := 0; k < g; k++ {
				wg.Add(1)
				go func() {
					for i := 0; i < each; i++ {
						mu.Lock()
						count++
						mu.Unlock()
					}
					wg.Done()
				}()
			}
			wg.Wait()
			if count != each*g {
				b.Fatal("the counter lost increments")
			}
		})
	}
}

// A goroutine on each P read-locks one RWMutex, b.N times in all.
func BenchmarkRWMutexRead(b *testing.B) {
	var rw sync.RWMutex
	var wg sync.WaitGroup
	procs := runtime.GOMAXPROCS(0)
	each := b.N / procs
	for k := 0; k < procs; k++ {
		wg.Add(1)
		go func() {
			for i := 0; i < each; i++ {
				rw.RLock()
				rw.RUnlock()
			}
			wg.Done()
		}()
	}
	wg.Wait()
}

// Add(1) then Done on one group.
func BenchmarkWaitGroupAddDone(b *testing.B) {
	var wg sync.WaitGroup
	for i := 0; i < b.N; i++ {
		wg.Add(1)
		wg.Done()
	}
}

// Do on a Once already done.
func BenchmarkOncePath(b *testing.B) {
	var once sync.Once
	f := func() {}
	once.Do(f)
	for i := 0; i < b.N; i++ {
		once.Do(f)
	}
}

// Get then Put of one object.
func BenchmarkPoolGetPut(b *testing.B) {
	p := sync.Pool{New: func() any { return new([64]byte) }}
	for i := 0; i < b.N; i++ {
		x := p.Get()
		p.Put(x)
	}
}

// A goroutine on each P loads keys of a sync.Map of 1000 int64 keys, b.N
// loads in all.
func BenchmarkSyncMapLoad(b *testing.B) {
	var m sync.Map
	for k := int64(0); k < 1000; k++ {
		m.Store(k, k+1)
	}
	for k := int64(0); k < 1000; k++ {
		m.Load(k) // misses, until dirty becomes read
	}
	b.ResetTimer()
	var wg sync.WaitGroup
	procs := runtime.GOMAXPROCS(0)
	each := b.N / procs
	for p := 0; p < procs; p++ {
		wg.Add(1)
		go func() {
			for i := 0; i < each; i++ {
				m.Load(int64(i % 1000))
			}
			wg.Done()
		}()
	}
	wg.Wait()
}
