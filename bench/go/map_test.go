// Go twins of bench/map_bench.c, with the same names and the same work:
// the same keys (splitmix64's), the same sizes and orders.
package bench

import (
	"fmt"
	"testing"
)

var mapsink int64

func splitmix(s *uint64) uint64 {
	*s += 0x9e3779b97f4a7c15
	z := *s
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

func mapkeys(n int, seed uint64) []int64 {
	k := make([]int64, n)
	for i := range k {
		k[i] = int64(splitmix(&seed))
	}
	return k
}

func shuffle(k []int64, seed uint64) {
	for i := len(k) - 1; i > 0; i-- {
		j := int(splitmix(&seed) % uint64(i+1))
		k[i], k[j] = k[j], k[i]
	}
}

func fillmap(keys []int64) map[int64]int64 {
	m := make(map[int64]int64)
	for i, k := range keys {
		m[k] = int64(i)
	}
	return m
}

const (
	lookupKeys = 1 << 16
	stringKeys = 10000
	iterKeys   = 10000
	deleteKeys = 10000
)

// Maps of n int64 keys made from empty, no hint, one after the other; an
// op is one insert.
func BenchmarkMapInsertInt64(b *testing.B) {
	for _, c := range []struct {
		n     int
		label string
	}{{1000, "1e3"}, {1000000, "1e6"}} {
		b.Run(c.label, func(b *testing.B) {
			keys := mapkeys(c.n, 1)
			b.ResetTimer()
			for done := 0; done < b.N; {
				m := make(map[int64]int64)
				for i := 0; i < c.n && done < b.N; i, done = i+1, done+1 {
					m[keys[i]] = int64(i)
				}
			}
		})
	}
}

// A map of 2^16 int64 keys: present keys in another order, or absent ones.
func BenchmarkMapLookupInt64(b *testing.B) {
	for _, hit := range []bool{true, false} {
		name := map[bool]string{true: "hit", false: "miss"}[hit]
		b.Run(name, func(b *testing.B) {
			keys := mapkeys(lookupKeys, 2)
			m := fillmap(keys)
			probe := keys
			if !hit {
				probe = mapkeys(lookupKeys, 3)
			}
			shuffle(probe, 4)
			var sum int64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				sum += m[probe[i&(lookupKeys-1)]]
			}
			mapsink = sum
		})
	}
}

// n string keys: "k" and a number in hex, each in a byte slice of its own.
func mapstrings(n int, seed uint64) [][]byte {
	s := make([][]byte, n)
	for i := range s {
		s[i] = []byte(fmt.Sprintf("k%x", splitmix(&seed)))
	}
	return s
}

// Maps of 1e4 string keys made from empty, each key from a byte slice,
// whose bytes the map's key copies (as hood's map does).
func BenchmarkMapInsertString(b *testing.B) {
	keys := mapstrings(stringKeys, 5)
	b.ResetTimer()
	for done := 0; done < b.N; {
		m := make(map[string]int64)
		for i := 0; i < stringKeys && done < b.N; i, done = i+1, done+1 {
			m[string(keys[i])] = int64(i)
		}
	}
}

// A map of 1e4 string keys: other copies of their bytes looked up.
func BenchmarkMapLookupString(b *testing.B) {
	keys, probe := mapstrings(stringKeys, 6), mapstrings(stringKeys, 6)
	m := make(map[string]int64)
	for i, k := range keys {
		m[string(k)] = int64(i)
	}
	strs := make([]string, stringKeys)
	for i, p := range probe {
		strs[i] = string(p)
	}
	var sum int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sum += m[strs[i%stringKeys]]
	}
	mapsink = sum
}

// Ranges over a map of 1e4 int64 keys; an op is one key.
func BenchmarkMapIter(b *testing.B) {
	m := fillmap(mapkeys(iterKeys, 7))
	var sum int64
	b.ResetTimer()
	for i := 0; i < b.N; {
		for k, v := range m {
			if i == b.N {
				break
			}
			sum += k + v
			i++
		}
	}
	mapsink = sum
}

// Every key of a map of 1e4 int64 keys deleted in another order, the map
// refilled off the clock.
func BenchmarkMapDelete(b *testing.B) {
	keys, order := mapkeys(deleteKeys, 8), mapkeys(deleteKeys, 8)
	shuffle(order, 9)
	m := fillmap(keys)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%deleteKeys == 0 && i != 0 {
			b.StopTimer()
			for j, k := range keys {
				m[k] = int64(j)
			}
			b.StartTimer()
		}
		delete(m, order[i%deleteKeys])
	}
}
