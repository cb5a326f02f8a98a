// Package gonwfilter is the engine a hypervisor manager embeds to run
// libvirt-style network filters without libvirt.
//
// An Engine ties together a filter Store (package nwfilter), a firewall
// Backend (packages backend/xtables and backend/nftables) and the bindings
// installed on VM ports. It compiles each binding into a rule graph, installs
// it through the backend, recompiles and re-installs the affected bindings
// when a filter is redefined, and explains how a packet would fare.
//
// Every change goes through one engine lock, taken in one place and never
// held while calling back into the embedder, so filter changes and binding
// changes cannot deadlock against each other. Backends install rules in the
// network namespace of the calling thread.
package gonwfilter
