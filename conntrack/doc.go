// Package conntrack covers what rule graphs need from connection tracking:
// which kernel features a graph depends on (Requirements), the conntrack and
// bridge-netfilter sysctls (Sysctl), and inspecting and deleting tracked
// connections of a VM (Table), e.g. so that a policy change also ends flows
// the old policy had accepted.
//
// Everything works on the network namespace of the calling thread.
package conntrack
