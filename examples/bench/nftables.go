//go:build linux

package main

import (
	"github.com/gonwfilter/gonwfilter/backend"
	"github.com/gonwfilter/gonwfilter/backend/nftables"
)

func init() {
	backends["nftables"] = func(ex backend.Execer) (backend.Backend, error) {
		return nftables.New(nftables.Options{Exec: ex})
	}
	// The same backend sending every transaction through libnftables
	// inside this process (experimental), to show what the nft process
	// costs.
	backends["nftables-library"] = func(ex backend.Execer) (backend.Backend, error) {
		return nftables.New(nftables.Options{Exec: ex, Transport: nftables.TransportLibrary})
	}
}
