// Package netnstest is the kernel test harness of gonwfilter: it builds a
// small virtual network out of network namespaces and sends real packets
// through it, so the firewall backends can be tested against the kernel.
//
// A [Lab] is one "host" namespace holding a Linux bridge br0 (with an IPv4 and
// an IPv6 address, so the host itself is a peer) and any number of [VM]s. A VM
// is a namespace whose eth0 is one end of a veth pair; the other end, named
// like a libvirt port device (vnet0, ...), is a port of br0 in the host
// namespace. Firewall backends under test are run inside the host namespace
// with [Netns.Do] or [Netns.Run], exactly as libvirt runs them on a real host.
//
// Probes ([Netns.ProbeTCP], [Netns.ProbeUDP], [Netns.Ping],
// [Netns.ResolveNeighbor], [DeliverFrame]) send real traffic between the lab's
// namespaces and wait a bounded time for an answer. A probe that got no
// answer, or was refused, returns an error matching [ErrBlocked]; any other
// error is a harness or setup failure. All probes are safe for concurrent use.
// A probe waits at most the lab's probe timeout ([DefaultProbeTimeout]) or
// until its context's deadline, whichever is earlier: a probe expected to
// succeed returns as soon as it does, a probe expected to be blocked costs its
// whole wait, so give those a context with a short deadline (a few hundred
// milliseconds is plenty between namespaces).
//
// Safety: nothing is ever changed in the network namespace the test process
// runs in. Every link, address, sysctl and firewall rule lives in namespaces
// the harness creates (named with [Prefix], see [ReapStale]) and removes in
// t.Cleanup, also when the test fails or panics.
//
// Kernel tests call [Require] (or just [New], which calls it) and are skipped
// when the machine cannot run them. The environment variable
// GONWFILTER_KERNEL_TESTS changes that: "require" turns every such skip into a
// test failure (for CI machines that must run them), "skip" skips kernel tests
// unconditionally.
//
// The package works on Linux only.
package netnstest
