package nwfilter

import (
	"errors"
	"fmt"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// ErrFilterNotFound is wrapped by every error about a filter that does not
// exist: a Resolver's lookup of an unknown name, and a reference anywhere in a
// filter tree to such a filter. Test with errors.Is.
var ErrFilterNotFound = errors.New("filter not found")

// Resolver finds filters by name. The Store implements it; tests may use a
// map. Lookup of an unknown name returns an error wrapping ErrFilterNotFound.
// The returned filter is only read, never modified.
type Resolver interface {
	// Lookup returns the filter called name.
	Lookup(name string) (*Filter, error)
}

// CheckRefs walks the filter tree rooted at the filter called name and
// reports the first missing filter (an error wrapping ErrFilterNotFound that
// names the referencing filter), the first reference cycle (*CycleError) or
// the first filter with an invalid chain name. Each filter is looked up once,
// so the walk is linear in the number of distinct filters and references even
// when the tree shares sub-trees. The Store calls it when a filter is defined.
func CheckRefs(r Resolver, name string) error {
	_, err := loadTree(r, name)
	return err
}

// filterTree is every filter reachable from a root, looked up once each, with
// the chain kind of each.
type filterTree struct {
	filters map[string]*Filter
	kinds   map[string]chainInfo
}

// loadTree looks up every filter reachable from root exactly once, checking
// for missing filters, cycles and bad chain names. Compilation then walks the
// returned snapshot, so a filter redefined concurrently cannot make one
// compilation see two versions of it.
func loadTree(r Resolver, root string) (*filterTree, error) {
	t := &filterTree{filters: map[string]*Filter{}, kinds: map[string]chainInfo{}}
	l := treeLoader{r: r, tree: t, state: map[string]visitState{}}
	if err := l.visit(root, ""); err != nil {
		return nil, err
	}
	return t, nil
}

type visitState uint8

const (
	unvisited visitState = iota
	onPath               // being visited: a reference back to it is a cycle
	done
)

type treeLoader struct {
	r     Resolver
	tree  *filterTree
	state map[string]visitState
	path  []string
}

func (l *treeLoader) visit(name, referrer string) error {
	switch l.state[name] {
	case done:
		return nil
	case onPath:
		start := 0
		for i, n := range l.path {
			if n == name {
				start = i
				break
			}
		}
		cycle := append(append([]string(nil), l.path[start:]...), name)
		return &CycleError{Path: cycle}
	}
	f, err := l.lookup(name, referrer)
	if err != nil {
		return err
	}
	info, err := chainInfoOf(f)
	if err != nil {
		return err
	}
	l.tree.filters[name] = f
	l.tree.kinds[name] = info
	l.state[name] = onPath
	l.path = append(l.path, name)
	for _, e := range f.Entries {
		if e.Ref == nil {
			continue
		}
		if err := l.visit(e.Ref.Filter, name); err != nil {
			return err
		}
	}
	l.path = l.path[:len(l.path)-1]
	l.state[name] = done
	return nil
}

func (l *treeLoader) lookup(name, referrer string) (*Filter, error) {
	f, err := l.r.Lookup(name)
	if err == nil && f == nil {
		err = ErrFilterNotFound
	}
	if err == nil {
		return f, nil
	}
	if referrer == "" {
		return nil, fmt.Errorf("filter %q: %w", name, err)
	}
	return nil, fmt.Errorf("filter %q, referenced by filter %q: %w", name, referrer, err)
}

// chainInfo is a filter's chain, resolved.
type chainInfo struct {
	name     string
	kind     ir.ChainKind
	priority int
}

// chainInfoOf resolves f's chain. An empty chain name means root, as when a
// filter is built in Go without one.
func chainInfoOf(f *Filter) (chainInfo, error) {
	name := f.Chain
	if name == "" {
		name = "root"
	}
	kind, err := ParseChainName(name)
	if err != nil {
		return chainInfo{}, fmt.Errorf("filter %q: %w", f.Name, err)
	}
	return chainInfo{name: name, kind: kind, priority: f.Priority}, nil
}
