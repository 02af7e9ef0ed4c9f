//go:build gcbench

// Go twins of bench/gc_bench.c, with the same names, work (bench/gcwork.h:
// binary-trees at depth 21, GCBench at 18, 16, 16) and metrics: the
// longest and 99th-percentile stop-the-world pause of the cycles that ran
// (MemStats.PauseNs), the worst lateness of a goroutine sleeping 1 ms at a
// time, the cycles per run, the peak resident set. Behind the gcbench
// tag: scripts/benchcompare builds them apart and runs each benchmark in a
// process of its own, so that its peak resident set is its own.
package bench

import (
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type tnode struct{ left, right *tnode }

func bottomUp(depth int) *tnode {
	n := &tnode{}
	if depth > 0 {
		n.left = bottomUp(depth - 1)
		n.right = bottomUp(depth - 1)
	}
	return n
}

func (n *tnode) itemCheck() int {
	if n.left == nil {
		return 1
	}
	return 1 + n.left.itemCheck() + n.right.itemCheck()
}

func binaryTrees(n int) int {
	const minDepth = 4
	maxDepth := n
	if maxDepth < minDepth+2 {
		maxDepth = minDepth + 2
	}
	check := bottomUp(maxDepth + 1).itemCheck()
	longLived := bottomUp(maxDepth)
	for d := minDepth; d <= maxDepth; d += 2 {
		iters := 1 << (maxDepth - d + minDepth)
		for i := 0; i < iters; i++ {
			check += bottomUp(d).itemCheck()
		}
	}
	return check + longLived.itemCheck()
}

type gnode struct {
	left, right *gnode
	i, j        int32
}

func treeSize(depth int) int { return 1<<(depth+1) - 1 }

func populate(depth int, n *gnode) {
	if depth > 0 {
		n.left, n.right = &gnode{}, &gnode{}
		populate(depth-1, n.left)
		populate(depth-1, n.right)
	}
}

func makeTree(depth int) *gnode {
	n := &gnode{}
	if depth > 0 {
		n.left = makeTree(depth - 1)
		n.right = makeTree(depth - 1)
	}
	return n
}

var gcSink *gnode

func gcBench(stretch, longLived, maxDepth int) int {
	const minDepth, arraySize = 4, 500000
	gcSink = makeTree(stretch)
	gcSink = nil
	trees := 1
	ll := &gnode{}
	populate(longLived, ll)
	array := make([]float64, arraySize)
	for i := 1; i < arraySize/2; i++ {
		array[i] = 1.0 / float64(i)
	}
	for d := minDepth; d <= maxDepth; d += 2 {
		iters := 2 * treeSize(stretch) / treeSize(d)
		for i := 0; i < iters; i++ {
			t := &gnode{}
			populate(d, t)
			trees++
		}
		for i := 0; i < iters; i++ {
			gcSink = makeTree(d)
			trees++
		}
	}
	gcSink = nil
	if ll.left == nil || array[1000] != 1.0/1000 {
		return -1
	}
	return trees
}

// gcRun measures from gcBegin to its end function, which reports.
func gcBegin(b *testing.B) func() {
	runtime.GC()
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	var stop atomic.Bool
	var worst atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for !stop.Load() {
			start := time.Now()
			time.Sleep(time.Millisecond)
			if late := int64(time.Since(start) - time.Millisecond); late > worst.Load() {
				worst.Store(late)
			}
		}
	}()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	return func() {
		b.StopTimer()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		stop.Store(true)
		wg.Wait()
		n := after.NumGC - before.NumGC
		k := n
		if k > 256 {
			k = 256
		}
		pauses := make([]uint64, k)
		for i := uint32(0); i < k; i++ {
			pauses[i] = after.PauseNs[(after.NumGC-1-i)%256]
		}
		sort.Slice(pauses, func(i, j int) bool { return pauses[i] < pauses[j] })
		var max, p99 float64
		if k > 0 {
			max, p99 = float64(pauses[k-1])/1000, float64(pauses[k*99/100])/1000
		}
		b.ReportMetric(max, "max-pause-us")
		b.ReportMetric(p99, "p99-pause-us")
		b.ReportMetric(float64(worst.Load())/1000, "stall-us")
		b.ReportMetric(float64(n)/float64(b.N), "GCs")
		b.ReportMetric(float64(peakRSS())/(1<<20), "peak-MB")
	}
}

// peakRSS: VmHWM from /proc/self/status, in bytes.
func peakRSS() int64 {
	data, _ := os.ReadFile("/proc/self/status")
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kb, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func BenchmarkBinaryTrees(b *testing.B) {
	const depth = 21
	want := treeSize(depth+1) + treeSize(depth)
	for d := 4; d <= depth; d += 2 {
		want += (1 << (depth - d + 4)) * treeSize(d)
	}
	end := gcBegin(b)
	for i := 0; i < b.N; i++ {
		if binaryTrees(depth) != want {
			b.Fatal("binarytrees: a tree lost nodes")
		}
	}
	end()
}

func BenchmarkGCBench(b *testing.B) {
	end := gcBegin(b)
	for i := 0; i < b.N; i++ {
		if gcBench(18, 16, 16) < 0 {
			b.Fatal("gcbench: the long-lived data did not survive")
		}
	}
	end()
}
