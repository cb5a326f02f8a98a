// Package sim evaluates a rule graph against one packet and explains the
// result, like `pve-firewall simulate` or a netfilter trace, but over the IR.
//
// The simulator is an executable statement of what the kernel rules our
// backends install do with a packet. It follows the way libvirt's ebiptables
// driver renders a graph:
//
//   - The Ethernet layer (ebtables nat): frames from the VM walk the I root
//     chain (rules with direction out, and inout rules with source and
//     destination swapped), frames to the VM walk the O root chain (rules with
//     direction in or inout, as written). Jumps into sub-chains are guarded by
//     the sub-chain's ether type (stp: the BPDU destination MAC), and exist
//     only on a side where the sub-chain holds rules. Sub-chains have policy
//     ACCEPT: a frame reaching the end of one is accepted for the layer; only
//     a return rule leads back to the root chain.
//   - The IP layer (iptables/ip6tables filter), reached only by untagged IPv4
//     and IPv6 packets the Ethernet layer accepted: packets from the VM walk
//     FI (forwarded) or HI (addressed to the host), packets to the VM walk FO.
//     Every IP-layer rule has one instance per chain, with libvirt's swap,
//     connection-state, ICMP and source-MAC placement rules (see ir.Placement);
//     libvirt's older ctdir match only with Options.ConntrackDirection, as
//     the backends render it only when asked to.
//
// Nothing here touches the kernel; the same graph and packet always give the
// same Result.
package sim
