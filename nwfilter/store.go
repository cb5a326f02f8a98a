package nwfilter

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/gonwfilter/gonwfilter/internal/docfile"
)

// Store holds named filters and resolves <filterref> trees: it implements
// Resolver. A new Store holds libvirt's built-in filters unless created with
// WithoutBuiltins. A Store is safe for concurrent use.
//
// The Store keeps the *Filter it is given: do not modify a filter after
// defining it, nor one that Lookup returned.
//
// What the Store checks, and what it leaves to later stages:
//   - Define refuses a filter whose references would form a cycle (libvirt
//     checks this too, "filter would introduce a loop"), a filter without a
//     name or with an invalid chain name, and a UUID that another filter
//     already has.
//   - References to filters that are not (yet) defined are allowed at Define,
//     as in libvirt; Compile and CheckRefs report them when a binding uses
//     the tree.
//   - Undefine removes a filter even when other filters reference it: those
//     references dangle like references to never-defined filters. Refusing to
//     remove a filter that an installed binding uses is the engine's job
//     (gonwfilter.Engine.UndefineFilter), as in libvirt, where only bindings
//     in use block an undefine.
type Store struct {
	mu      sync.RWMutex
	filters map[string]*Filter
}

// StoreOption configures NewStore.
type StoreOption func(*storeConfig)

type storeConfig struct {
	builtins bool
}

// WithoutBuiltins makes NewStore start empty instead of with libvirt's
// built-in filters.
func WithoutBuiltins() StoreOption {
	return func(c *storeConfig) { c.builtins = false }
}

// NewStore returns a Store holding libvirt's 24 built-in filters (see
// BuiltinNames), or no filters with WithoutBuiltins.
func NewStore(opts ...StoreOption) *Store {
	cfg := storeConfig{builtins: true}
	for _, o := range opts {
		o(&cfg)
	}
	s := &Store{filters: make(map[string]*Filter)}
	if cfg.builtins {
		for _, f := range mustBuiltins() {
			s.filters[f.Name] = f
		}
	}
	return s
}

// Define adds f, or replaces the filter of the same name. A redefinition
// without a UUID keeps the UUID of the filter it replaces.
func (s *Store) Define(f *Filter) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.defineLocked(f)
}

func (s *Store) defineLocked(f *Filter) error {
	if f == nil {
		return errors.New("define filter: nil filter")
	}
	if f.Name == "" {
		return errors.New("define filter: the filter has no name")
	}
	if old := s.filters[f.Name]; old != nil && f.UUID == "" && old.UUID != "" {
		inherited := *f
		inherited.UUID = old.UUID
		f = &inherited
	}
	if f.UUID != "" {
		for _, other := range s.filters {
			if other.UUID == f.UUID && other.Name != f.Name {
				return fmt.Errorf("define filter %q: filter %q already has UUID %s", f.Name, other.Name, f.UUID)
			}
		}
	}
	if err := CheckRefs(definedView{filters: s.filters, next: f}, f.Name); err != nil {
		return fmt.Errorf("define filter %q: %w", f.Name, err)
	}
	s.filters[f.Name] = f
	return nil
}

// definedView resolves names as the store would after defining next. It
// resolves filters that are not defined to empty ones, so that CheckRefs
// looks for cycles only: missing references are allowed at define time.
type definedView struct {
	filters map[string]*Filter
	next    *Filter
}

func (v definedView) Lookup(name string) (*Filter, error) {
	if name == v.next.Name {
		return v.next, nil
	}
	if f := v.filters[name]; f != nil {
		return f, nil
	}
	return &Filter{Name: name, Chain: "root"}, nil
}

// Undefine removes the named filter. It fails with an error matching
// ErrFilterNotFound when there is no such filter.
func (s *Store) Undefine(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.filters[name] == nil {
		return fmt.Errorf("filter %q: %w", name, ErrFilterNotFound)
	}
	delete(s.filters, name)
	return nil
}

// Lookup returns the named filter, or ErrFilterNotFound itself: as for every
// Resolver, the caller names the filter in its own error.
func (s *Store) Lookup(name string) (*Filter, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if f := s.filters[name]; f != nil {
		return f, nil
	}
	return nil, ErrFilterNotFound
}

// List returns the names of all filters, sorted.
func (s *Store) List() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Sorted(maps.Keys(s.filters))
}

// Reachable returns name and the names of every filter its <filterref>s
// reach, directly or through other filters, sorted. Names that are referenced
// but not defined are included; name itself is included even when it is not
// defined.
func (s *Store) Reachable(name string) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	seen := map[string]bool{}
	var walk func(string)
	walk = func(n string) {
		if seen[n] {
			return
		}
		seen[n] = true
		if f := s.filters[n]; f != nil {
			for _, e := range f.Entries {
				if e.Ref != nil {
					walk(e.Ref.Filter)
				}
			}
		}
	}
	walk(name)
	return slices.Sorted(maps.Keys(seen))
}

// LoadDir defines every *.xml file of dir (not its subdirectories), in file
// name order, over what the store holds — for example libvirt's
// /etc/libvirt/nwfilter over the built-in filters.
//
// As in libvirt, a file must be named after the filter it holds
// (clean-traffic.xml holds filter "clean-traffic"); a file that is not is
// skipped with an error. Every bad file is reported, with file:line:col where
// known, in one joined error; the good files are loaded nonetheless.
func (s *Store) LoadDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("load filters: %w", err)
	}
	var (
		errs   []error
		loaded []*Filter
	)
	for _, e := range entries {
		base, ok := strings.CutSuffix(e.Name(), ".xml")
		if !ok || e.IsDir() {
			continue
		}
		f, err := readFilterFile(filepath.Join(dir, e.Name()), base)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		loaded = append(loaded, f)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range loaded {
		if err := s.defineLocked(f); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", posString(f.Pos), err))
		}
	}
	return errors.Join(errs...)
}

// readFilterFile parses the filter file at path, which must hold the filter
// called name.
func readFilterFile(path, name string) (*Filter, error) {
	data, err := docfile.Read(path)
	if err != nil {
		return nil, err
	}
	f, err := ParseFilter(data, path)
	if err != nil {
		return nil, err
	}
	if f.Name != name {
		return nil, &ParseError{File: path, Line: f.Pos.Line, Col: f.Pos.Col, Path: "filter/@name",
			Msg: fmt.Sprintf("filter %q must be in a file named %s.xml", f.Name, f.Name)}
	}
	return f, nil
}
