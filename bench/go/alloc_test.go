// Go twins of bench/alloc_bench.c, with the same names and the same work:
// new of a byte array (noscan) into a global sink. Go's collector runs
// meanwhile and reuses what it sweeps, as hood's does; hood caps each
// benchmark's n by a byte budget kept from before its collector (bench.h).
package bench

import (
	"sync/atomic"
	"testing"
)

var (
	sink8   *[8]byte
	sink16  *[16]byte
	sink32  *[32]byte
	sink64  *[64]byte
	sink128 *[128]byte
	sink512 *[512]byte
	sink1K  *[1 << 10]byte
	sink4K  *[4 << 10]byte
	sink32K *[32 << 10]byte
	sink1M  *[1 << 20]byte
)

func BenchmarkAllocSize(b *testing.B) {
	b.Run("8", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sink8 = new([8]byte)
		}
	})
	b.Run("16", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sink16 = new([16]byte)
		}
	})
	b.Run("32", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sink32 = new([32]byte)
		}
	})
	b.Run("64", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sink64 = new([64]byte)
		}
	})
	b.Run("128", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sink128 = new([128]byte)
		}
	})
	b.Run("512", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sink512 = new([512]byte)
		}
	})
	b.Run("1K", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sink1K = new([1 << 10]byte)
		}
	})
	b.Run("4K", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sink4K = new([4 << 10]byte)
		}
	})
	b.Run("32K", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sink32K = new([32 << 10]byte)
		}
	})
	b.Run("1M", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			sink1M = new([1 << 20]byte)
		}
	})
}

// 8 bytes, noscan: Go's tiny allocator, as hood's.
func BenchmarkTinyAlloc(b *testing.B) {
	for i := 0; i < b.N; i++ {
		sink8 = new([8]byte)
	}
}

// Every P allocating 64 bytes, each goroutine into a sink of its own.
type parsink struct {
	p   *[64]byte
	pad [56]byte
}

var parsinks [64]parsink

func BenchmarkAllocParallel(b *testing.B) {
	var next int32
	b.RunParallel(func(pb *testing.PB) {
		me := (atomic.AddInt32(&next, 1) - 1) % int32(len(parsinks))
		for pb.Next() {
			parsinks[me].p = new([64]byte)
		}
	})
}
