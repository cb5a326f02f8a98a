package nwfilter

import (
	"os"
	"testing"
)

// BenchmarkParseFilter parses a typical 30-rule filter.
func BenchmarkParseFilter(b *testing.B) {
	data, err := os.ReadFile("testdata/bench/thirty-rules.xml")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseFilter(data, "thirty-rules.xml"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFormatFilter writes the same filter.
func BenchmarkFormatFilter(b *testing.B) {
	f := mustParseFile(b, "testdata/bench/thirty-rules.xml")
	b.ReportAllocs()
	for b.Loop() {
		FormatFilter(f)
	}
}
