// Package xtables installs nwfilter rule graphs with ebtables, iptables and
// ip6tables, the way libvirt's ebiptables driver lays them out, but loaded
// with one *-restore run per tool and change instead of one process per
// rule.
//
// # Layout
//
// Ethernet-layer rules go to the ebtables nat table: per binding a root
// chain for frames from the VM (linked with "-i <port>" from PREROUTING)
// and one for frames to it ("-o <port>" from POSTROUTING), plus one sub-chain per
// filter chain name and side, entered from the root chain with libvirt's
// protocol guard (-p 0x0800, -p 0x0806, …, -d 01:80:c2:00:00:00 for stp).
// A chain exists only for a side it has rules for. A frame that falls off
// the end of a chain is accepted, as with libvirt's chains (policy ACCEPT);
// ours have policy RETURN and end with an explicit -j ACCEPT unless their
// last rule is an unconditional verdict (see Speed).
//
// With libvirt's names the links sit in PREROUTING and POSTROUTING, as in
// libvirt. With ours they sit in dispatch chains: PREROUTING jumps to
// gnwf-D-pre, which jumps to 32 bucket chains gnwf-D-pre-00 … -31, and a
// port's link goes to the bucket picked by an FNV-1a hash of its name
// (likewise gnwf-D-post for POSTROUTING); see Speed. The dispatch chains
// are created with the first binding that has ebtables rules and removed
// with the last. Links that an earlier version left in the built-in chains
// are adopted and moved to the buckets when their binding next changes.
//
// IP-layer rules go to the iptables/ip6tables filter table: per binding FI
// (forwarded from the VM), FO (forwarded to it) and HI (from the VM to the
// host), reached from the shared chains in/out/host-in with physdev gotos,
// plus an ACCEPT in the shared in-post chain; the shared chains hang off
// FORWARD (positions 1–3) and INPUT (position 1). Each rule gets libvirt's
// three instances with its statematch/state/connlimit/srcmacaddr/ICMP
// rules (see ipInstance).
//
// # Names
//
// With Options.LibvirtNames the names are libvirt's: libvirt-I-vnet0,
// libvirt-O-vnet0, I-vnet0-arp-mac, FI-vnet0, FO-vnet0, HI-vnet0,
// libvirt-in, libvirt-out, libvirt-in-post, libvirt-host-in. By default
// they carry our prefix: gnwf-I-vnet0, gnwf-I-vnet0:arp-mac, gnwf-FI-vnet0,
// gnwf-in, … Both fit the 28-character limit of ebtables-nft and iptables
// for 15-byte port devices, except libvirt's sub-chain names, which a long
// port device plus a long filter chain name can exceed (an error, as in
// libvirt); our sub-chain names then fall back to the chain's index
// (gnwf-I-<port>:3). Our sub-chain names start with their root chain's name
// so that a binding's chains sort together (see Speed).
//
// # Atomic updates: two generations
//
// xtables cannot atomically rename a referenced chain, so per-binding chains
// come in two generations that alternate: generation 0 uses libvirt's final
// letters (I, O, FI, FO, HI), generation 1 libvirt's temporary ones (J, P,
// FJ, FP, HJ). An update deletes the old links, flushes and deletes the old
// chains, builds the new generation's chains and appends the new links
// (PREROUTING/POSTROUTING jumps, physdev gotos) — all in one restore input,
// whose order packets never see.
// iptables-restore commits a table in one transaction (COMMIT) and
// ebtables-restore likewise, so each tool switches from the complete old
// ruleset to the complete new one; a failed restore changes nothing in its
// tool and leaves no temporary chain behind.
//
// # Order across tools
//
// Apply plans every tool's change first, then loads the tools that have
// changes at the same time, each at most once: the first on the calling
// goroutine, the others on threads that join the calling thread's network
// namespace before they start their tool (see together). Traffic is
// filtered at every instant by, per tool, either the old or the new
// ruleset; between two tools' commits (a few milliseconds) a packet may
// meet one tool's new rules and another's old ones, as it could when the
// tools ran one after the other (the kernel commits one table at a time in
// any case). A new binding's rules only ever add to what was there. If a
// tool fails, the tools that were loaded are reverted to the previous rules
// (rebuilt from the graphs kept in memory under the old generation's
// names) and Apply returns the errors.
//
// # State
//
// The backend keeps, per tool and binding, the generation in use, the
// installed chain and link names, the graph and a fingerprint of the
// rendered chains. Re-applying an unchanged graph runs nothing; a changed
// binding touches only its own chains; bindings not named are left alone;
// foreign chains and rules are never named in a restore input, so they are
// never touched (--noflush). On first use the backend reads our chains back
// with *-save (iptables only when go-iptables lists one of ours) and adopts
// them, so a restarted process can update or remove what its predecessor
// left; it never lists on the hot path.
//
// # Address sets
//
// Backend implements backend.Sets with kernel ipsets, over netlink, in the
// calling thread's network namespace. SetMembers creates a hash:net set of
// the members' family, or replaces an existing set's members at once: it
// fills a temporary set (gnwf-tmp- and a hash of the name), swaps it with
// the live set (ipset swap: rules that reference the set see either the old
// or the new members, never a mix or an empty set) and destroys the
// temporary; a failure destroys the temporary and leaves the live set
// alone. ipsets have no set-level comment, so the sets this backend creates
// carry a mark instead: maxelem is MaxSetMembers plus an odd excess. Only
// marked sets are changed, deleted or listed, so a set another program
// made is never touched, and a restarted process finds its sets again.
// DeleteSet refuses while an installed binding's rules use the set, and
// reports the kernel's refusal while any other rule does.
//
// # Speed
//
// Measured with 1000 clean-traffic bindings and the nft-based tools
// (iptables 1.8.9) on Linux 6.18, the cost of a restore run comes from:
//
//   - The tool keeps every chain name its input mentions in a sorted linked
//     list, so each line costs a walk past the names that sort before its
//     chain. Lines are therefore written in blocks of chains that sort
//     together, in descending order (see txn), and our ebtables sub-chain
//     names extend their root chain's name; this made loading 1000
//     bindings with ebtables-restore more than three times faster (1.9 s to
//     0.55 s). libvirt's names (Options.LibvirtNames) do not sort together,
//     so under them the walks still grow with the bindings (2.6 s to 1.1 s).
//
//   - -F walks every rule appended earlier in the same input, so removals
//     are written before the new rules (see txn); deleting a rule by
//     specification searches its chain from the start, so deletions are
//     written in the order the rules were appended. Swapping all 1000
//     bindings to a new generation took 86 s in ebtables-restore and takes
//     about 4.5 s; what is left is the chain list walk above, because a
//     generation's letter comes before the port device in a root chain's
//     name, so the two generations of a binding do not sort together.
//
//   - ebtables-restore fetches the rules of every chain its input names,
//     and of the built-in chains, whenever it changes a user-defined chain;
//     iptables-restore fetches a chain's rules to delete a rule from it by
//     specification. With the links in PREROUTING and POSTROUTING (libvirt's
//     layout) any change reads both, 1000 rules each (about 530 KB of
//     netlink dumps, strace). A single dispatch chain would not help, since
//     appending to it fetches it just the same; the 32 buckets (see Layout)
//     cut the dump of adding a binding to about 10 KB. Adding one
//     clean-traffic binding to 1000 went from 27.9 ms to 22.7 ms wall
//     (ebtables-restore 18.7 to 14.5 ms; median of 3 interleaved runs of
//     examples/bench at load 1; a quieter round: 22.9 to 18.1 ms, and
//     16.6 to 12.4 ms), removing one from 56.7 to 51.7 ms
//     (ebtables-restore 30.1 to 17.5 ms). The dispatch chains' names sort
//     before the bindings' (D before I and O) so the link lines do not walk
//     the chain list. Removing a binding still reads libvirt-in, -out,
//     -in-post and -host-in (iptables), which hold one rule per binding.
//     *-restore cannot delete by handle.
//
//   - The kernel validates every rule reachable from the table's base
//     chains on each commit that adds a rule with a verdict, so each commit
//     costs time linear in the rules of the table (about 40% of adding a
//     binding to 1000, in each tool).
//
//   - A commit that deletes rules or chains makes the tool's final close of
//     its netlink socket wait for the kernel to release them (9 ms in
//     strace), so removing costs more wall time than CPU time.
//
//   - ebtables-nft writes a user-defined chain's ACCEPT policy as a rule at
//     its end; our chains have policy RETURN and a closing -j ACCEPT only
//     where it is reachable, which saved a quarter of the rules of
//     clean-traffic (nine per binding) and about 15% of ebtables-restore's
//     time.
//
//   - The tools of one change run at the same time (see Order across
//     tools): their process starts, parsing and cache reads overlap, and
//     only the kernel commits take turns. Adding one binding to 1000 went
//     from 18–20 ms to a median of 18 ms over five examples/bench runs
//     (12.3–22.8 ms: the machine is noisy; ebtables-restore alone takes
//     12–16 ms of it, about 9.5 ms of which is its kernel commit), applying
//     1000 from 0.78 s to 0.64–0.86 s.
//
// Adding a binding costs one process per tool and time linear in the rules
// already installed (the kernel and dump costs above), not in the
// binding's number of rules.
//
// # Deviations from libvirt
//
//   - All rules of a tool are loaded with one *-restore --noflush run, and
//     updates switch generations instead of renaming chains.
//   - continue on iptables renders a rule without target (counting only);
//     libvirt writes "-j CONTINUE", which iptables rejects.
//   - ipset matches are honoured on every IP-layer element (libvirt: all).
//   - --ctdir is off by default (current libvirt omits it); see
//     Options.ConntrackDirection.
//   - dscp on the ip element is written as --ip-tos dscp<<2 (the TOS byte);
//     libvirt writes the DSCP value itself, which matches another TOS.
//   - gratuitous='false' negates --arp-gratuitous.
//   - ipset names with a space, and port devices outside [A-Za-z0-9_.-], are
//     refused; comments are cut to 255 bytes (iptables' limit) and refused
//     when they hold control characters.
//   - Our default chain names carry the gnwf prefix (libvirt's with
//     LibvirtNames).
//   - ebtables chains have policy RETURN and end with -j ACCEPT where a
//     frame can reach their end (libvirt: policy ACCEPT); frames are
//     treated the same.
package xtables
