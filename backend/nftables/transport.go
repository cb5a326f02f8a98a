package nftables

import (
	"context"
	"fmt"

	"github.com/gonwfilter/gonwfilter/backend"
)

// Transport says how a Backend that runs nft itself (Options.NFT nil) hands
// its scripts to the kernel.
type Transport uint8

const (
	// TransportProgram (the default) runs "nft -f -" through Options.Exec,
	// one process per transaction, in the network namespace of the calling
	// thread.
	TransportProgram Transport = iota
	// TransportLibrary calls libnftables (libnftables.so.1, which the
	// nftables package installs; loaded at run time, no cgo) through one
	// nft context that lives until Close. Its netlink socket is opened in
	// the network namespace of the calling thread at the Backend's first
	// change and stays there. Each transaction saves the nft process start
	// and the wait for the kernel's deferred release (an RCU grace period)
	// that each exiting nft process pays: in the same runs, adding one
	// binding to 1000 took 0.8–0.9 times and removing one a third of the
	// time. Experimental, and so not the default: it runs C code inside
	// the process (calls are serialised process-wide), and binds the
	// Backend to one namespace. With purego v0.8.4 under Go 1.26, a call
	// into the library from a GC cleanup crashed the process; v0.11.3 does
	// not. An nft process frees everything when it exits.
	TransportLibrary
)

var transportNames = [...]string{"program", "library"}

// String returns "program" or "library".
func (t Transport) String() string {
	if int(t) < len(transportNames) {
		return transportNames[t]
	}
	return fmt.Sprintf("transport(%d)", t)
}

// transport sends one nft script as one transaction.
type transport interface {
	// run sends script; nothing of it takes effect if it fails.
	run(ctx context.Context, script string) error
	// close releases what the transport holds; the Backend runs nothing
	// after it.
	close() error
}

// programTransport runs the nft program.
type programTransport struct{ exec backend.Execer }

func (p programTransport) run(ctx context.Context, script string) error {
	_, err := p.exec.Run(ctx, backend.Command{Path: "nft", Args: []string{"-f", "-"}, Stdin: []byte(script)})
	return err
}

func (programTransport) close() error { return nil }

// newTransport returns the transport t selects.
func newTransport(t Transport, exec backend.Execer) (transport, error) {
	switch t {
	case TransportProgram:
		return programTransport{exec}, nil
	case TransportLibrary:
		return newLibTransport()
	}
	return nil, fmt.Errorf("transport %v: %w", t, ErrInvalidOption)
}
