package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"sigs.k8s.io/knftables"

	"github.com/gonwfilter/gonwfilter/backend"
	"github.com/gonwfilter/gonwfilter/backend/nftables"
	"github.com/gonwfilter/gonwfilter/backend/xtables"
	"github.com/gonwfilter/gonwfilter/nwfilter"
)

// backendFlags are --backend, --libvirt-names and --conntrack.
type backendFlags struct {
	name         string
	libvirtNames bool
	conntrack    string
}

// conntrackPaths are the values of --conntrack.
var conntrackPaths = map[string]nftables.ConntrackPath{
	"auto":         nftables.ConntrackAuto,
	"bridge":       nftables.ConntrackBridge,
	"br_netfilter": nftables.ConntrackBrNetfilter,
}

func (b *backendFlags) register(fs *flag.FlagSet, chosenByProbe bool) {
	usage := "the firewall backend `NAME`: xtables or nftables"
	if chosenByProbe {
		usage += " (default: nftables when the probe finds it usable, else xtables)"
	}
	fs.StringVar(&b.name, "backend", "", usage)
	fs.BoolVar(&b.libvirtNames, "libvirt-names", false, "xtables: use libvirt's chain names (libvirt-I-vnet0, ...)")
	b.conntrack = "auto"
}

// registerConntrack adds --conntrack, for the commands that install or
// render rules.
func (b *backendFlags) registerConntrack(fs *flag.FlagSet) {
	fs.StringVar(&b.conntrack, "conntrack", "auto", "nftables: how stateful IP rules reach conntrack, `PATH` auto (probe), bridge (nf_conntrack_bridge) or br_netfilter")
}

// newBackend returns the named backend running real tools.
func (b *backendFlags) newBackend(name string) (backend.Backend, error) {
	if b.libvirtNames && name != "xtables" {
		return nil, usageErrorf("--libvirt-names is only for --backend xtables")
	}
	path, ok := conntrackPaths[b.conntrack]
	switch {
	case !ok:
		return nil, usageErrorf("--conntrack %q: want auto, bridge or br_netfilter", b.conntrack)
	case path != nftables.ConntrackAuto && name != "nftables":
		return nil, usageErrorf("--conntrack is only for --backend nftables")
	}
	switch name {
	case "xtables":
		return xtables.New(xtables.Options{LibvirtNames: b.libvirtNames})
	case "nftables":
		return nftables.New(nftables.Options{Conntrack: path})
	case "":
		return nil, usageErrorf("give --backend xtables or --backend nftables")
	}
	return nil, usageErrorf("unknown backend %q: want xtables or nftables", name)
}

// renderer returns the named backend for rendering only. Unlike apply it
// needs neither root nor the tools: when nft cannot run here, the nftables
// backend renders without probing, and --conntrack auto then means
// br_netfilter, the path every kernel with br_netfilter supports.
func (b *backendFlags) renderer() (backend.Backend, error) {
	be, err := b.newBackend(b.name)
	var usage *exitError
	if err == nil || b.name != "nftables" || errors.As(err, &usage) {
		return be, err
	}
	// nft cannot run here (missing, or no permission): render without it.
	path := conntrackPaths[b.conntrack]
	if path == nftables.ConntrackAuto {
		path = nftables.ConntrackBrNetfilter
	}
	return nftables.New(nftables.Options{NFT: knftables.NewFake("", ""), Conntrack: path})
}

// open returns the backend the flags name. Without --backend it takes the
// backend every binding asks for, if they agree, or else asks the capability
// probe: nftables when it is usable here, xtables otherwise.
func (b *backendFlags) open(ctx context.Context, bindings []*nwfilter.Binding) (backend.Backend, error) {
	if b.name != "" {
		return b.newBackend(b.name)
	}
	if b.libvirtNames {
		return b.newBackend("xtables")
	}
	if name := requestedBackend(bindings); name != "" {
		return b.newBackend(name)
	}
	nft, err := b.newBackend("nftables")
	if err != nil {
		return nil, err
	}
	caps, err := nft.Probe(ctx)
	if err == nil && usable(caps) {
		return nft, nil
	}
	return b.newBackend("xtables")
}

// requestedBackend returns the backend all bindings ask for with <backend>,
// in this program's naming, or "" when they do not all ask for the same one.
func requestedBackend(bindings []*nwfilter.Binding) string {
	var want string
	for i, bd := range bindings {
		name := bd.Backend
		if name == "iptables" {
			name = "xtables"
		}
		if name == "" || (i > 0 && name != want) {
			return ""
		}
		want = name
	}
	return want
}

// usable reports whether a probed backend has every tool it runs.
func usable(caps backend.Capabilities) bool {
	for _, t := range caps.Tools {
		if t.Path == "" {
			return false
		}
	}
	return len(caps.Tools) > 0
}

// describe names a backend for messages.
func describe(be backend.Backend) string { return fmt.Sprintf("%s backend", be.Name()) }
