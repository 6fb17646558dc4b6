package store

// Benchmarks for `make bench` (issue 6): watchlist bulk load and look-up at
// 1,000,000 entries, and the decision insert rate with synchronous=FULL.
//
//	go test -run '^$' -bench . ./gate/store/

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/egate/egate/gate"
	"github.com/egate/egate/gate/watchlist"
)

const benchEntries = 1_000_000

// benchList is a list file of n cleartext entries.
func benchList(n int, version int) []byte {
	var b bytes.Buffer
	b.Grow(n * 16)
	fmt.Fprintf(&b, "egate-watchlist 1\nversion %d\nissued %s\n", version, t0.Format(time.RFC3339))
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "UTO/P/N%08d\n", i)
	}
	return b.Bytes()
}

func benchLoad(b *testing.B, s *Store, file []byte) LoadResult {
	rd, err := watchlist.NewReader(bytes.NewReader(file), wlKey)
	if err != nil {
		b.Fatal(err)
	}
	res, err := s.LoadWatchlist(context.Background(), rd, LoadOptions{AllowOlder: true})
	if err != nil {
		b.Fatal(err)
	}
	return res
}

// BenchmarkWatchlistLoad1M: parse, HMAC and insert a 1M-entry list.
func BenchmarkWatchlistLoad1M(b *testing.B) {
	s, _ := openTemp(b)
	file := benchList(benchEntries, 1)
	var total time.Duration
	loads := 0
	for b.Loop() {
		start := time.Now()
		res := benchLoad(b, s, file)
		total += time.Since(start)
		loads++
		if res.Status.Entries != benchEntries {
			b.Fatalf("%d entries", res.Status.Entries)
		}
	}
	b.ReportMetric(float64(benchEntries*loads)/total.Seconds(), "rows/s")
}

// BenchmarkWatchlistLookup1M: look-ups (half hits) on a 1M-entry list, as
// the daemon makes them (WatchlistLookup: status and probe).
func BenchmarkWatchlistLookup1M(b *testing.B) {
	s, _ := openTemp(b)
	benchLoad(b, s, benchList(benchEntries, 1))
	ctx := context.Background()
	refs := make([]string, 4096)
	for i := range refs {
		n := i * 7919 % (2 * benchEntries) // half beyond the list: misses
		refs[i] = gate.DocRef(wlKey, "UTO", "P", fmt.Sprintf("N%08d", n))
	}
	var lat []time.Duration
	hits, i := 0, 0
	for b.Loop() {
		start := time.Now()
		hit, _, err := s.WatchlistLookup(ctx, refs[i%len(refs)])
		lat = append(lat, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		if hit {
			hits++
		}
		i++
	}
	if hits == 0 || hits == i {
		b.Fatalf("%d hits in %d look-ups", hits, i)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, "p99-µs")
}

// BenchmarkRecordDecision: one decision with its audit entry and document
// use closed, committed with synchronous=FULL (an fsync per commit).
func BenchmarkRecordDecision(b *testing.B) {
	s, _ := openTemp(b)
	ctx := context.Background()
	n := 0
	start := time.Now()
	for b.Loop() {
		n++
		if _, err := s.RecordDecision(ctx, decision(uint64(n), t0, "ref", "accept")); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "decisions/s")
}
