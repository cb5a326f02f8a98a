package kerneltest

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/gonwfilter/gonwfilter/nwfilter"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// Builtins is a nwfilter.Resolver holding libvirt's built-in filters (read
// from nwfilter/builtin) plus any filters added with Add.
type Builtins struct {
	filters map[string]*nwfilter.Filter
}

var (
	builtinsOnce sync.Once
	builtinsErr  error
	builtinXML   map[string][]byte
)

// LoadBuiltins parses the built-in filters of the source tree.
func LoadBuiltins() (*Builtins, error) {
	builtinsOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		dir := filepath.Join(filepath.Dir(file), "..", "..", "nwfilter", "builtin")
		paths, err := filepath.Glob(filepath.Join(dir, "*.xml"))
		if err == nil && len(paths) == 0 {
			err = fmt.Errorf("no built-in filters in %s", dir)
		}
		if err != nil {
			builtinsErr = err
			return
		}
		builtinXML = map[string][]byte{}
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				builtinsErr = err
				return
			}
			builtinXML[p] = data
		}
	})
	if builtinsErr != nil {
		return nil, builtinsErr
	}
	b := &Builtins{filters: map[string]*nwfilter.Filter{}}
	for p, data := range builtinXML {
		f, err := nwfilter.ParseFilter(data, p)
		if err != nil {
			return nil, err
		}
		b.filters[f.Name] = f
	}
	return b, nil
}

// Add parses a filter document and adds it.
func (b *Builtins) Add(xml string) error {
	f, err := nwfilter.ParseFilter([]byte(xml), "")
	if err != nil {
		return err
	}
	b.filters[f.Name] = f
	return nil
}

// Lookup implements nwfilter.Resolver.
func (b *Builtins) Lookup(name string) (*nwfilter.Filter, error) {
	if f, ok := b.filters[name]; ok {
		return f, nil
	}
	return nil, fmt.Errorf("%q: %w", name, nwfilter.ErrFilterNotFound)
}

// Compile compiles filter for a binding on port with the VM's MAC and the
// given parameters ("NAME=value").
func (b *Builtins) Compile(filter, port string, mac ir.MAC, params ...string) (*ir.Graph, error) {
	bd := &nwfilter.Binding{PortDev: port, MAC: mac, FilterRef: nwfilter.FilterRef{Filter: filter}}
	for _, p := range params {
		name, value, ok := strings.Cut(p, "=")
		if !ok {
			return nil, fmt.Errorf("parameter %q: want NAME=value", p)
		}
		bd.FilterRef.Params = append(bd.FilterRef.Params, nwfilter.Param{Name: name, Value: value})
	}
	return nwfilter.Compile(b, bd, nwfilter.CompileOptions{})
}
