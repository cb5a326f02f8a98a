//go:build linux

package main

import (
	"context"

	"sigs.k8s.io/knftables"

	"github.com/gonwfilter/gonwfilter/backend"
	"github.com/gonwfilter/gonwfilter/backend/nftables"
)

func init() {
	backends["nftables"] = func(ex backend.Execer) (backend.Backend, error) {
		nft, err := knftables.New("", "")
		if err != nil {
			return nil, err
		}
		return nftables.New(nftables.Options{NFT: countedNFT{Interface: nft, ex: ex}, Exec: ex})
	}
}

// countedNFT counts every nft transaction (one "nft -f" process) with the
// driver's process counter: knftables runs nft itself, not through ex.
type countedNFT struct {
	knftables.Interface
	ex backend.Execer
}

// Run implements knftables.Interface.
func (c countedNFT) Run(ctx context.Context, tx *knftables.Transaction) error {
	if ce, ok := c.ex.(*countingExec); ok {
		ce.mu.Lock()
		ce.n++
		ce.mu.Unlock()
	}
	return c.Interface.Run(ctx, tx)
}
