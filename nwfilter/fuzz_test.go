package nwfilter

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// seedFiles returns the contents of every file matching patterns, to seed
// a fuzz target's corpus.
func seedFiles(f *testing.F, patterns ...string) [][]byte {
	f.Helper()
	var out [][]byte
	for _, pattern := range patterns {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			out = append(out, data)
		}
	}
	return out
}

// FuzzParseDocument checks that no input panics or hangs the parser, and
// that every document it accepts normalizes to a fixed point.
func FuzzParseDocument(f *testing.F) {
	for _, data := range seedFiles(f, "testdata/filters/*.xml", "testdata/bindings/*.xml", "builtin/*.xml") {
		f.Add(data)
	}
	for _, doc := range []string{
		"",
		"<filter/>",
		"<filter name='x'><rule action='drop' direction='in'><tpc/></rule></filter>",
		"<filter name='x'><rule action='drop' direction='in'>",
		"<!DOCTYPE x [<!ENTITY a 'b'>]><filter name='&a;'/>",
		"<filter name='x'><rule action='drop' direction='in'><tcp match='no' dstportstart='$P[@3]' dstportend='0x10'/><tcp srcipaddr='1.2.3.4' srcipmask='255.0.0.0'/></rule></filter>",
		"<filterbinding><portdev name='v'/><mac address='1:2:3:4:5:6'/><filterref filter='f'><parameter name='A' value='1'/></filterref></filterbinding>",
		"<filter name='x' chain='ipv4' priority='0'><uuid>0123456789abcdef0123456789abcdef</uuid></filter>",
	} {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := ParseDocument(data, "fuzz")
		if err != nil {
			return
		}
		out := formatDocument(doc)
		again, err := ParseDocument(out, "normalized")
		if err != nil {
			t.Fatalf("normalized output does not parse: %v\ninput:\n%s\noutput:\n%s", err, data, out)
		}
		if out2 := formatDocument(again); !bytes.Equal(out, out2) {
			t.Fatalf("not a fixed point:\nfirst:\n%s\nsecond:\n%s", out, out2)
		}
	})
}
