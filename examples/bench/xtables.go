//go:build linux

package main

import (
	"github.com/gonwfilter/gonwfilter/backend"
	"github.com/gonwfilter/gonwfilter/backend/xtables"
)

func init() {
	backends["xtables"] = func(ex backend.Execer) (backend.Backend, error) {
		return xtables.New(xtables.Options{Exec: ex})
	}
}
