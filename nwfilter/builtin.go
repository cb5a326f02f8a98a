package nwfilter

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"sync"
)

// builtinFS holds libvirt's built-in filters, one <name>.xml per filter.
//
//go:embed builtin/*.xml
var builtinFS embed.FS

// parsedBuiltins parses the embedded filters once. An error here is a bug in
// the embedded data or the parser, caught by the package tests.
var parsedBuiltins = sync.OnceValues(func() ([]*Filter, error) {
	return parseBuiltins(builtinFS)
})

// parseBuiltins parses every builtin/*.xml of fsys, sorted by name.
func parseBuiltins(fsys fs.FS) ([]*Filter, error) {
	files, err := fs.Glob(fsys, "builtin/*.xml")
	if err != nil {
		return nil, err
	}
	filters := make([]*Filter, 0, len(files))
	for _, file := range files {
		data, err := fs.ReadFile(fsys, file)
		if err != nil {
			return nil, err
		}
		f, err := ParseFilter(data, file)
		if err != nil {
			return nil, fmt.Errorf("built-in filter %s: %w", file, err)
		}
		if want := strings.TrimSuffix(path.Base(file), ".xml"); f.Name != want {
			return nil, fmt.Errorf("built-in filter %s: named %q", file, f.Name)
		}
		filters = append(filters, f)
	}
	slices.SortFunc(filters, func(a, b *Filter) int { return strings.Compare(a.Name, b.Name) })
	return filters, nil
}

// BuiltinNames returns the names of libvirt's built-in filters, sorted, e.g.
// "allow-arp", "clean-traffic", "no-ip-spoofing".
func BuiltinNames() []string {
	filters := mustBuiltins()
	names := make([]string, len(filters))
	for i, f := range filters {
		names[i] = f.Name
	}
	return names
}

// mustBuiltins returns the parsed built-in filters and panics when they do not
// parse, which the package tests rule out.
func mustBuiltins() []*Filter {
	filters, err := parsedBuiltins()
	if err != nil {
		panic("nwfilter: " + err.Error())
	}
	return filters
}
