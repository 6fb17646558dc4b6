package mrz_test

import (
	"testing"

	"github.com/egate/egate/sensors/mrz"
	"github.com/egate/egate/sensors/mrz/internal/corpus"
)

func loadCorpus(b *testing.B) []corpus.Zone {
	b.Helper()
	zones, err := corpus.Load(corpusFile)
	if err != nil {
		b.Fatal(err)
	}
	return zones
}

// BenchmarkParseCorpus parses every zone of testdata/corpus.jsonl (valid
// and invalid, every format) once per iteration; zones/s is the figure
// make mrz-bench compares with the npm package mrz.
func BenchmarkParseCorpus(b *testing.B) {
	zones := loadCorpus(b)
	opts := corpus.Options()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, z := range zones {
			mrz.Parse(z.Lines, opts)
		}
	}
	b.ReportMetric(float64(b.N*len(zones))/b.Elapsed().Seconds(), "zones/s")
}

// BenchmarkParseFormat parses the corpus zones of one format (or the
// unreadable ones) per iteration.
func BenchmarkParseFormat(b *testing.B) {
	zones := loadCorpus(b)
	opts := corpus.Options()
	for _, f := range []string{"TD1", "TD2", "TD3", "MRVA", "MRVB", ""} {
		var sel [][]string
		for _, z := range zones {
			if z.Format == f {
				sel = append(sel, z.Lines)
			}
		}
		name := f
		if name == "" {
			name = "unreadable"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				for _, ls := range sel {
					mrz.Parse(ls, opts)
				}
			}
			b.ReportMetric(float64(b.N*len(sel))/b.Elapsed().Seconds(), "zones/s")
		})
	}
}
