package nwfilter

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// filterXML parses a filter document or fails the test.
func filterXML(t *testing.T, doc string) *Filter {
	t.Helper()
	f, err := ParseFilter([]byte(doc), "test.xml")
	require.NoError(t, err)
	return f
}

// refFilter returns a root filter that references the named filters.
func refFilter(t *testing.T, name string, refs ...string) *Filter {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "<filter name='%s' chain='root'>", name)
	for _, r := range refs {
		fmt.Fprintf(&b, "<filterref filter='%s'/>", r)
	}
	b.WriteString("</filter>")
	return filterXML(t, b.String())
}

func TestStoreDefineLookupList(t *testing.T) {
	s := NewStore(WithoutBuiltins())
	assert.Empty(t, s.List())

	_, err := s.Lookup("a")
	require.ErrorIs(t, err, ErrFilterNotFound)

	a := refFilter(t, "a")
	require.NoError(t, s.Define(a))
	require.NoError(t, s.Define(refFilter(t, "c")))
	require.NoError(t, s.Define(refFilter(t, "b")))
	assert.Equal(t, []string{"a", "b", "c"}, s.List())

	got, err := s.Lookup("a")
	require.NoError(t, err)
	assert.Same(t, a, got)

	// Redefining replaces.
	a2 := refFilter(t, "a", "b")
	require.NoError(t, s.Define(a2))
	got, err = s.Lookup("a")
	require.NoError(t, err)
	assert.Same(t, a2, got)
	assert.Equal(t, []string{"a", "b", "c"}, s.List())

	require.NoError(t, s.Undefine("b"))
	assert.Equal(t, []string{"a", "c"}, s.List())
	assert.ErrorIs(t, s.Undefine("b"), ErrFilterNotFound)
}

func TestStoreDefineRejects(t *testing.T) {
	s := NewStore(WithoutBuiltins())
	assert.Error(t, s.Define(nil))
	assert.ErrorContains(t, s.Define(&Filter{Chain: "root"}), "no name")
	assert.ErrorContains(t, s.Define(&Filter{Name: "x", Chain: "bogus"}), "chain name")
	assert.Empty(t, s.List())
}

func TestStoreUUID(t *testing.T) {
	s := NewStore(WithoutBuiltins())
	a := refFilter(t, "a")
	a.UUID = "8b7ebc3e-4fb2-4bb8-9c0e-2a4a1c6f0d01"
	require.NoError(t, s.Define(a))

	// A redefinition without a UUID keeps the old one.
	require.NoError(t, s.Define(refFilter(t, "a")))
	got, err := s.Lookup("a")
	require.NoError(t, err)
	assert.Equal(t, a.UUID, got.UUID)

	// Another filter may not take the UUID.
	b := refFilter(t, "b")
	b.UUID = a.UUID
	assert.ErrorContains(t, s.Define(b), "already has UUID")
}

func TestStoreCycleAtDefine(t *testing.T) {
	s := NewStore(WithoutBuiltins())
	require.NoError(t, s.Define(refFilter(t, "a", "b")), "a reference to an undefined filter is fine at define time")
	err := s.Define(refFilter(t, "b", "a"))
	require.Error(t, err, "b -> a closes the cycle a -> b -> a")
	_, lookupErr := s.Lookup("b")
	assert.ErrorIs(t, lookupErr, ErrFilterNotFound, "the refused filter is not stored")

	assert.Error(t, s.Define(refFilter(t, "self", "self")), "a filter referencing itself")

	// A longer cycle through a redefinition: a -> b -> c, then c -> a.
	require.NoError(t, s.Define(refFilter(t, "b", "c")))
	require.NoError(t, s.Define(refFilter(t, "c")))
	assert.Error(t, s.Define(refFilter(t, "c", "a")))
	got, err := s.Lookup("c")
	require.NoError(t, err)
	assert.Empty(t, got.Entries, "the old definition of c stays")
}

func TestStoreMissingReferenceAtUse(t *testing.T) {
	s := NewStore(WithoutBuiltins())
	require.NoError(t, s.Define(refFilter(t, "top", "middle")))
	require.NoError(t, s.Define(refFilter(t, "middle", "missing")))
	err := CheckRefs(s, "top")
	require.ErrorIs(t, err, ErrFilterNotFound)
	assert.ErrorContains(t, err, "missing")

	require.NoError(t, s.Define(refFilter(t, "missing")))
	assert.NoError(t, CheckRefs(s, "top"))
}

func TestStoreUndefineReferenced(t *testing.T) {
	s := NewStore()
	require.NoError(t, s.Undefine("no-mac-spoofing"), "the store lets referenced filters go")
	assert.ErrorIs(t, CheckRefs(s, "clean-traffic"), ErrFilterNotFound, "the dangling reference shows at use")
}

func TestStoreReachable(t *testing.T) {
	s := NewStore()
	assert.Equal(t, []string{
		"allow-incoming-ipv4", "clean-traffic", "no-arp-ip-spoofing", "no-arp-mac-spoofing",
		"no-arp-spoofing", "no-ip-spoofing", "no-mac-spoofing", "no-other-l2-traffic",
		"no-other-rarp-traffic", "qemu-announce-self", "qemu-announce-self-rarp",
	}, s.Reachable("clean-traffic"))
	assert.Equal(t, []string{"allow-arp"}, s.Reachable("allow-arp"))
	assert.Equal(t, []string{"nope"}, s.Reachable("nope"))
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, text := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644))
	}
	return dir
}

func TestStoreLoadDir(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"mine.xml":          "<filter name='mine' chain='root'><filterref filter='clean-traffic'/></filter>",
		"clean-traffic.xml": "<filter name='clean-traffic' chain='root'><filterref filter='allow-arp'/></filter>",
		"notes.txt":         "not a filter",
	})
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub.xml"), 0o755))

	s := NewStore()
	require.NoError(t, s.LoadDir(dir))
	assert.Contains(t, s.List(), "mine")
	assert.Len(t, s.List(), 25)
	ct, err := s.Lookup("clean-traffic")
	require.NoError(t, err)
	assert.Len(t, ct.Entries, 1, "the directory's clean-traffic replaces the built-in one")
}

func TestStoreLoadDirBadFiles(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"good.xml":    "<filter name='good' chain='root'/>",
		"broken.xml":  "<filter name='broken' chain='root'>\n  <rule action='accept'\n</filter>",
		"renamed.xml": "<filter name='other' chain='root'/>",
		"loop-a.xml":  "<filter name='loop-a' chain='root'><filterref filter='loop-b'/></filter>",
		"loop-b.xml":  "<filter name='loop-b' chain='root'><filterref filter='loop-a'/></filter>",
	})
	s := NewStore(WithoutBuiltins())
	err := s.LoadDir(dir)
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, filepath.Join(dir, "broken.xml")+":")
	assert.Contains(t, msg, filepath.Join(dir, "renamed.xml")+":1:1: filter/@name: filter \"other\" must be in a file named other.xml")
	assert.Contains(t, msg, filepath.Join(dir, "loop-b.xml")+":")
	var perr *ParseError
	assert.True(t, errors.As(err, &perr), "parse errors stay reachable with errors.As")

	assert.Equal(t, []string{"good", "loop-a"}, s.List(), "good files load; loop-b would close a cycle")
}

func TestStoreLoadDirMissing(t *testing.T) {
	err := NewStore().LoadDir(filepath.Join(t.TempDir(), "nope"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestStoreLoadDirSkipsFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.xml")
	if err := mkfifo(fifo); err != nil {
		t.Skipf("cannot make a FIFO here: %v", err)
	}
	err := NewStore().LoadDir(dir)
	assert.ErrorContains(t, err, "not a regular file", "a FIFO is reported, not read (reading would hang)")
}

func TestStoreConcurrent(t *testing.T) {
	s := NewStore()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("f%d", i)
			for range 50 {
				assert.NoError(t, s.Define(refFilter(t, name, "clean-traffic")))
				_, _ = s.Lookup("clean-traffic")
				_ = s.List()
				_ = s.Reachable(name)
				assert.NoError(t, CheckRefs(s, name))
			}
		}()
	}
	wg.Wait()
	assert.Len(t, s.List(), 32)
}
