package sim

import (
	"errors"
	"fmt"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// ErrInvalidPacket is wrapped by the errors Simulate and SimulateWith return
// about the packet.
var ErrInvalidPacket = errors.New("invalid packet")

// ErrInvalidGraph is wrapped by the errors Simulate and SimulateWith return
// about the graph.
var ErrInvalidGraph = errors.New("invalid graph")

// Options choose between renderings the backends offer. The zero value
// models what the backends install by default.
type Options struct {
	// ConntrackDirection models libvirt's older "-m conntrack --ctdir" match
	// on accept rules with a default state match (see ir.Placement), which
	// xtables.Options.ConntrackDirection turns on. Off, as in the backends'
	// default and current libvirt, a packet's CtDir is never looked at.
	ConntrackDirection bool
}

// Simulate evaluates graph g against packet p with the zero Options, as the
// backends install g by default. See SimulateWith.
func Simulate(g *ir.Graph, p Packet) (Result, error) {
	return SimulateWith(g, p, Options{})
}

// SimulateWith evaluates graph g against packet p, installed as opts say:
// first the Ethernet layer, then, if the frame is accepted and is an untagged
// IPv4/IPv6 packet, the IP layer. The result is the verdict and a trace of
// every rule and jump evaluated.
func SimulateWith(g *ir.Graph, p Packet, opts Options) (Result, error) {
	if err := checkPacket(&p); err != nil {
		return Result{}, err
	}
	if err := checkGraph(g); err != nil {
		return Result{}, err
	}
	w := &walker{g: g, p: p, swapped: p.swapped(), opts: opts}
	if v := w.ethernet(); v != Accept {
		return Result{Verdict: v, Trace: w.trace}, nil
	}
	return Result{Verdict: w.ip(), Trace: w.trace}, nil
}

func checkPacket(p *Packet) error {
	if p.Dir != ir.DirIn && p.Dir != ir.DirOut {
		return fmt.Errorf("%w: direction must be in or out, not %s", ErrInvalidPacket, p.Dir)
	}
	if p.ToHost && p.Dir != ir.DirOut {
		return fmt.Errorf("%w: only packets from the VM (direction out) can be addressed to the host", ErrInvalidPacket)
	}
	switch p.State {
	case ir.StateNew, ir.StateEstablished, ir.StateRelated, ir.StateInvalid:
	default:
		return fmt.Errorf("%w: state must be exactly one of new, established, related, invalid, not %q", ErrInvalidPacket, p.State)
	}
	return nil
}

func checkGraph(g *ir.Graph) error {
	if g == nil {
		return fmt.Errorf("%w: nil graph", ErrInvalidGraph)
	}
	if len(g.Ethernet) > 0 {
		root := g.Ethernet[0]
		if root == nil {
			return fmt.Errorf("%w: nil root chain", ErrInvalidGraph)
		}
		for j, e := range root.Entries {
			if err := checkEntry(root, j, e, true); err != nil {
				return err
			}
			if e.Jump == nil {
				continue
			}
			for k, se := range e.Jump.Entries {
				if err := checkEntry(e.Jump, k, se, false); err != nil {
					return err
				}
			}
		}
	}
	for i, r := range g.IP {
		if r == nil || r.Protocol.Layer() == ir.LayerEthernet {
			return fmt.Errorf("%w: IP-layer rule %d is not an IP-layer rule", ErrInvalidGraph, i)
		}
	}
	return nil
}

// checkEntry checks entry j of chain c; only the root chain may jump.
func checkEntry(c *ir.Chain, j int, e ir.Entry, root bool) error {
	switch {
	case (e.Rule == nil) == (e.Jump == nil):
		return fmt.Errorf("%w: chain %s entry %d must hold exactly one of a rule and a jump", ErrInvalidGraph, c.Name, j)
	case e.Jump != nil && !root:
		return fmt.Errorf("%w: chain %s entry %d: only the root chain may jump", ErrInvalidGraph, c.Name, j)
	case e.Jump != nil && e.Jump.Kind == ir.ChainRoot:
		return fmt.Errorf("%w: chain %s entry %d jumps to a root chain", ErrInvalidGraph, c.Name, j)
	case e.Rule != nil && e.Rule.Protocol.Layer() != ir.LayerEthernet:
		return fmt.Errorf("%w: chain %s entry %d holds %s rule", ErrInvalidGraph, c.Name, j, e.Rule.Protocol)
	}
	return nil
}

// walker accumulates the trace of one simulation.
type walker struct {
	g       *ir.Graph
	p       Packet
	swapped Packet
	opts    Options
	trace   []Step
}

// dev is the port device used in chain names.
func (w *walker) dev() string {
	if w.g.Binding.PortDev == "" {
		return "<dev>"
	}
	return w.g.Binding.PortDev
}
