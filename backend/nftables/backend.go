package nftables

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"

	"sigs.k8s.io/knftables"

	"github.com/gonwfilter/gonwfilter/backend"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// Backend installs rule graphs with nftables. It implements backend.Backend
// and backend.Sets. It is safe for concurrent use.
type Backend struct {
	nft knftables.Interface
	// tr sends folded scripts (see foldScript) when Options.NFT was nil;
	// otherwise it is nil and transactions go through nft.
	tr     transport
	lay    layout
	log    *slog.Logger
	exec   backend.Execer
	ipsets IPSetReader
	clSize uint32
	// tableNFT lists one of our tables (Options.TableNFT).
	tableNFT func(family knftables.Family, table string) (knftables.Interface, error)

	mu sync.Mutex
	// closed says Close was called.
	closed bool
	st     state
	// adopted says the tables were listed (or Reset), see adopt.
	adopted bool
}

// state is what the backend committed to the kernel.
type state struct {
	// ready says the tables and base chains exist.
	ready bool
	// sameOctet says the arp-same-octet set exists.
	sameOctet bool
	bindings  map[string]*binding
	ids       idAllocator
	sets      map[string]*namedSet
}

// binding is one committed binding.
type binding struct {
	id   uint32
	objs *objects
	// graph is the graph the objects were rendered from. Graphs are
	// immutable, so the same pointer again means nothing changed.
	graph *ir.Graph
	// adopted bindings were found in the kernel: objs names their chains,
	// sets and map elements but not their rules.
	adopted bool
}

var (
	_ backend.Backend = (*Backend)(nil)
	_ backend.Sets    = (*Backend)(nil)
)

var tableNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,63}$`)

// New returns a Backend. It changes nothing in the kernel; with
// ConntrackAuto it runs one nft --check to choose the conntrack path.
func New(opts Options) (*Backend, error) {
	if opts.Table == "" {
		opts.Table = DefaultTable
	}
	if !tableNameRE.MatchString(opts.Table) {
		return nil, fmt.Errorf("table name %q: %w: want a letter then letters, digits, '_' or '-'", opts.Table, ErrInvalidOption)
	}
	mark, err := newMarkField(opts.MarkMask)
	if err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Exec == nil {
		opts.Exec = backend.OSExec{}
	}
	if opts.IPSets == nil {
		opts.IPSets = netlinkIPSets{}
	}
	if opts.ConnlimitSetSize == 0 {
		opts.ConnlimitSetSize = DefaultConnlimitSetSize
	}
	var tr transport
	if opts.NFT == nil {
		if tr, err = newTransport(opts.Transport, opts.Exec); err != nil {
			return nil, fmt.Errorf("nftables: %w", err)
		}
		if opts.NFT, err = knftables.New("", ""); err != nil {
			return nil, fmt.Errorf("nftables: %w", err)
		}
	}
	if opts.TableNFT == nil {
		opts.TableNFT = defaultTableNFT(opts.NFT)
	}
	b := &Backend{
		nft: opts.NFT, tr: tr, log: opts.Logger, exec: opts.Exec, ipsets: opts.IPSets, clSize: opts.ConnlimitSetSize, tableNFT: opts.TableNFT,
		lay: layout{table: opts.Table, path: opts.Conntrack, mark: mark, ctdir: opts.ConntrackDirection},
		st:  newState(mark.maxID()),
	}
	if b.lay.path == ConntrackAuto {
		b.lay.path = ConntrackBrNetfilter
		if b.checkBridgeConntrack(context.Background()) == nil {
			b.lay.path = ConntrackBridge
		}
		b.log.Debug("nftables: conntrack path chosen", "path", b.lay.path)
	}
	if b.lay.path > ConntrackBrNetfilter {
		return nil, fmt.Errorf("conntrack path %v: %w", b.lay.path, ErrInvalidOption)
	}
	return b, nil
}

func newState(maxID uint32) state {
	return state{bindings: map[string]*binding{}, ids: idAllocator{max: maxID}, sets: map[string]*namedSet{}}
}

// Name returns "nftables".
func (b *Backend) Name() string { return "nftables" }

// ConntrackPath returns the conntrack path in use.
func (b *Backend) ConntrackPath() ConntrackPath { return b.lay.path }

// Render returns the nft script that Apply would send to install gs into a
// backend that has installed nothing yet: one section, tool "nft", in the
// folded form the backend feeds to "nft -f -" (see Options.NFT). It reads
// (but never changes) kernel ipsets that rules reference.
func (b *Backend) Render(gs ...*ir.Graph) (backend.Script, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	fresh := newState(b.st.ids.max)
	tx, _, err := b.plan(context.Background(), &fresh, gs)
	if err != nil {
		return backend.Script{}, err
	}
	text := ""
	if tx != nil { // nil: no graphs, nothing to send
		if text, err = scriptOf(tx); err != nil {
			return backend.Script{}, err
		}
	}
	return backend.Script{Sections: []backend.Section{{Tool: "nft", Text: text}}}, nil
}

// Apply installs or updates the bindings of gs in one nft transaction.
// Unchanged bindings cost nothing; if nothing changed, nothing is sent.
func (b *Backend) Apply(ctx context.Context, gs ...*ir.Graph) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.adopt(ctx); err != nil {
		return err
	}
	tx, next, err := b.plan(ctx, &b.st, gs)
	if err != nil {
		return err
	}
	if tx == nil {
		b.st = *next
		return nil
	}
	return b.commit(ctx, tx, next, fmt.Sprintf("apply %d binding(s)", len(gs)))
}

// plan computes the transaction that turns st into st plus gs, and the state
// after it. It returns a nil transaction when nothing changes.
func (b *Backend) plan(ctx context.Context, st *state, gs []*ir.Graph) (*knftables.Transaction, *state, error) {
	next := st.clone()
	seen := make(map[string]bool, len(gs))
	// replace: old was adopted, its rules are unknown; it goes as a whole
	// and new comes as a whole.
	type change struct {
		old, new *objects
		replace  bool
	}
	var changes []change
	for _, g := range gs {
		if g == nil {
			return nil, nil, errors.New("nftables: nil graph")
		}
		dev := g.Binding.PortDev
		if seen[dev] {
			return nil, nil, fmt.Errorf("nftables: binding %q given twice", dev)
		}
		seen[dev] = true
		cur := next.bindings[dev]
		if cur != nil && cur.graph == g {
			continue
		}
		id := uint32(0)
		if cur != nil {
			id = cur.id // 0 when adopted without a port id
		}
		if id == 0 {
			var err error
			if id, err = next.ids.alloc(); err != nil {
				return nil, nil, fmt.Errorf("nftables: binding %q: %w", dev, err)
			}
		}
		objs, err := b.lay.build(g, id, b.clSize)
		if err != nil {
			return nil, nil, err
		}
		if cur != nil && !cur.adopted && cur.objs.equal(objs) {
			next.bindings[dev] = &binding{id: id, objs: cur.objs, graph: g}
			continue
		}
		var old *objects
		if cur != nil {
			old = cur.objs
		}
		changes = append(changes, change{old, objs, cur != nil && cur.adopted})
		next.bindings[dev] = &binding{id: id, objs: objs, graph: g}
	}
	if len(changes) == 0 {
		// Nothing to send; still remember the graphs seen.
		return nil, next, nil
	}
	tx := b.nft.NewTransaction()
	b.prepare(tx, next)
	for _, c := range changes {
		if err := b.addShared(ctx, tx, next, c.new); err != nil {
			return nil, nil, err
		}
	}
	var adds []elemObj
	for _, c := range changes {
		if c.replace {
			b.lay.writeDiff(tx, c.old, nil, b.clSize)
			c.old = nil
		}
		adds = append(adds, b.lay.writeDiff(tx, c.old, c.new, b.clSize)...)
	}
	b.lay.writeElements(tx, adds)
	b.dropUnusedImports(tx, next)
	return tx, next, nil
}

// addShared adds the shared objects objs needs: the arp-same-octet set, and
// ipsets that neither SetMembers nor an earlier Apply defined, imported from
// the kernel's ipsets (a snapshot). Those next already has are declared
// again, which changes nothing in the kernel but lets the transaction name
// them (see foldScript).
func (b *Backend) addShared(ctx context.Context, tx *knftables.Transaction, next *state, objs *objects) error {
	if objs.sameOctet {
		if next.sameOctet {
			tx.Add(b.lay.sameOctetDecl())
		} else {
			b.lay.sameOctetSet(tx)
			next.sameOctet = true
		}
	}
	for _, name := range objs.ipsets {
		if next.sets[name] != nil {
			b.declareSet(tx, name, false)
			b.declareSet(tx, name, true)
			continue
		}
		members, err := b.ipsets.IPSetMembers(ctx, name)
		if err != nil {
			return fmt.Errorf("nftables: ipset %q: %w", name, err)
		}
		ns := &namedSet{imported: true}
		if ns.v4, ns.v6, err = splitFamilies(members, false); err != nil {
			return fmt.Errorf("nftables: ipset %q: %w", name, err)
		}
		b.writeSet(tx, name, ns)
		tx.Add(b.importMarker(name))
		next.sets[name] = ns
	}
	return nil
}

// dropUnusedImports deletes imported ipsets no binding of next references
// any more; it goes after the diffs that removed the references.
func (b *Backend) dropUnusedImports(tx *knftables.Transaction, next *state) {
	for name, ns := range next.sets {
		if ns.imported && !next.references(name) {
			b.deleteSet(tx, name)
			tx.Delete(b.importMarker(name))
			delete(next.sets, name)
		}
	}
}

// prepare adds the skeleton when the tables do not exist yet.
func (b *Backend) prepare(tx *knftables.Transaction, next *state) {
	if !next.ready {
		b.lay.skeleton(tx)
		next.ready = true
	}
}

// Teardown removes everything installed for portDevs in one transaction.
// Unknown port devices are ignored. When the last binding and the last set
// go, the tables go too.
func (b *Backend) Teardown(ctx context.Context, portDevs ...string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.adopt(ctx); err != nil {
		return err
	}
	next := b.st.clone()
	tx := b.nft.NewTransaction()
	for _, dev := range portDevs {
		cur := next.bindings[dev]
		if cur == nil {
			continue
		}
		b.lay.writeDiff(tx, cur.objs, nil, b.clSize)
		delete(next.bindings, dev)
		if cur.id != 0 {
			next.ids.release(cur.id)
		}
	}
	// Imported ipsets go with the last binding that used them.
	b.dropUnusedImports(tx, next)
	if tx.NumOperations() == 0 {
		return nil
	}
	if gone := b.tablesGone(next); gone != nil {
		tx = gone
	}
	return b.commit(ctx, tx, next, "teardown")
}

// tablesGone returns a transaction that removes the backend's tables, and
// resets next, when next holds no binding and no set: the tables go with the
// last of them. Otherwise it returns nil.
func (b *Backend) tablesGone(next *state) *knftables.Transaction {
	if len(next.bindings) != 0 || len(next.sets) != 0 {
		return nil
	}
	tx := b.nft.NewTransaction()
	b.lay.teardown(tx)
	*next = newState(b.st.ids.max)
	return tx
}

// commit runs tx and, when it succeeded, makes next the committed state; on
// failure the committed state is unchanged, like the kernel's.
func (b *Backend) commit(ctx context.Context, tx *knftables.Transaction, next *state, what string) error {
	if err := b.run(ctx, tx); err != nil {
		return fmt.Errorf("nftables: %s: %w", what, err)
	}
	b.st = *next
	return nil
}

// run sends tx in one nft transaction: as a folded script through the
// transport when the backend runs nft itself, else through Options.NFT.
func (b *Backend) run(ctx context.Context, tx *knftables.Transaction) error {
	if b.closed {
		return fmt.Errorf("nftables: %w", backend.ErrClosed)
	}
	if b.tr == nil {
		return b.nft.Run(ctx, tx)
	}
	text, err := scriptOf(tx)
	if err != nil {
		return err
	}
	return b.tr.run(ctx, text)
}

// Close releases what the Backend holds; the installed rules stay. With
// TransportLibrary that is the libnftables context and its netlink socket,
// which nothing else frees before the process ends. A closed Backend fails
// to apply and tear down.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	if b.tr == nil {
		return nil
	}
	return b.tr.close()
}

// scriptOf returns the folded script of tx (see foldScript), or the error
// knftables recorded while the transaction was built.
func scriptOf(tx *knftables.Transaction) (string, error) {
	text := tx.String()
	// knftables appends a pending error as a last "# ERROR: " line.
	if i := strings.LastIndex(text, "\n# ERROR: "); i >= 0 || strings.HasPrefix(text, "# ERROR: ") {
		return "", errors.New("nftables: " + strings.TrimPrefix(text[i+1:], "# ERROR: "))
	}
	return foldScript(text), nil
}

// Reset removes the backend's tables, with everything in them, in one
// transaction: what this Backend installed and whatever an earlier process
// left behind. It lists nothing and succeeds when the tables do not exist.
// It is the way to start over from tables the Backend could not adopt.
func (b *Backend) Reset(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	tx := b.nft.NewTransaction()
	b.lay.wipe(tx)
	if err := b.run(ctx, tx); err != nil {
		return fmt.Errorf("nftables: reset: %w", err)
	}
	b.st = newState(b.st.ids.max)
	b.adopted = true // nothing left to adopt
	return nil
}

func (s *state) clone() *state {
	n := *s
	n.bindings = make(map[string]*binding, len(s.bindings))
	for k, v := range s.bindings {
		n.bindings[k] = v
	}
	n.sets = make(map[string]*namedSet, len(s.sets))
	for k, v := range s.sets {
		n.sets[k] = v
	}
	n.ids = s.ids.clone()
	return &n
}

// references reports whether a binding's rules use the named ipset.
func (s *state) references(name string) bool {
	for _, bd := range s.bindings {
		for _, n := range bd.objs.ipsets {
			if n == name {
				return true
			}
		}
	}
	return false
}
