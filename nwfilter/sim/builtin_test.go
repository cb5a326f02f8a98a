package sim

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/nwfilter"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// filterMap resolves filters from memory.
type filterMap map[string]*nwfilter.Filter

func (m filterMap) Lookup(name string) (*nwfilter.Filter, error) {
	if f, ok := m[name]; ok {
		return f, nil
	}
	return nil, fmt.Errorf("%q: %w", name, nwfilter.ErrFilterNotFound)
}

// builtins loads libvirt's built-in filters plus extra filter documents.
func builtins(t *testing.T, extra ...string) filterMap {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "builtin", "*.xml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	m := filterMap{}
	add := func(data []byte, name string) {
		f, err := nwfilter.ParseFilter(data, name)
		require.NoError(t, err)
		m[f.Name] = f
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		require.NoError(t, err)
		add(data, file)
	}
	for i, doc := range extra {
		add([]byte(doc), fmt.Sprintf("extra%d.xml", i))
	}
	return m
}

// compileFor compiles filter for the test binding with the given parameters.
func compileFor(t *testing.T, r nwfilter.Resolver, filter string, params ...nwfilter.Param) *ir.Graph {
	t.Helper()
	b := &nwfilter.Binding{PortDev: binding.PortDev, MAC: binding.MAC,
		FilterRef: nwfilter.FilterRef{Filter: filter, Params: params}}
	g, err := nwfilter.Compile(r, b, nwfilter.CompileOptions{})
	require.NoError(t, err)
	return g
}

func TestCompiledCleanTraffic(t *testing.T) {
	g := compileFor(t, builtins(t), "clean-traffic", nwfilter.Param{Name: "IP", Value: "10.0.0.5"})
	checkProbes(t, g, cleanTrafficProbes)
}

func TestCompiledStatematchDirectionality(t *testing.T) {
	const sshIn = `<filter name='ssh-in'>
  <rule action='accept' direction='in'><tcp dstportstart='22'/></rule>
  <rule action='drop' direction='inout' priority='1000'><all/></rule>
</filter>`
	g := compileFor(t, builtins(t, sshIn), "ssh-in")
	require.Empty(t, g.Ethernet)
	// Peer opens; the VM replies on the accepted connection ...
	assert.Equal(t, Accept, simulate(t, g, "dir=in src=10.0.0.1 dst=10.0.0.5 proto=tcp sport=40000 dport=22").Verdict)
	assert.Equal(t, Accept, simulate(t, g, "dir=out src=10.0.0.5 dst=10.0.0.1 proto=tcp sport=22 dport=40000 state=established").Verdict)
	// ... but may not initiate one, to port 22 or from it.
	assert.Equal(t, Drop, simulate(t, g, "dir=out src=10.0.0.5 dst=10.0.0.1 proto=tcp sport=40000 dport=22").Verdict)
	res := simulate(t, g, "dir=out src=10.0.0.5 dst=10.0.0.1 proto=tcp sport=22 dport=40000")
	assert.Equal(t, Drop, res.Verdict)
	assert.Equal(t, MismatchState, stepFor(res, g.IP[0]).Mismatch)
}

func TestCompiledCompositeBuiltins(t *testing.T) {
	const composite = `<filter name='composite'>
  <filterref filter='clean-traffic'/>
  <filterref filter='no-ip-multicast'/>
  <filterref filter='allow-dhcp'/>
  <filterref filter='allow-dhcpv6'/>
</filter>`
	g := compileFor(t, builtins(t, composite), "composite", nwfilter.Param{Name: "IP", Value: "10.0.0.5"})
	tests := []probe{
		{"unicast IPv4", "dir=out src=10.0.0.5 dst=192.0.2.1 proto=udp dport=53", Accept},
		{"multicast IPv4", "dir=out src=10.0.0.5 dst=224.0.0.251 proto=udp dport=5353", Drop},
		{"DHCP discover", "dir=out src=0.0.0.0 dst=255.255.255.255 proto=udp sport=68 dport=67", Accept},
		{"DHCP offer", "dir=in src=10.0.0.1 dst=255.255.255.255 proto=udp sport=67 dport=68", Accept},
		{"DHCPv6 solicit", "dir=out src=fe80::5 dst=ff02::1:2 proto=udp sport=546 dport=547", Accept},
		{"DHCPv6 advertise", "dir=in src=fe80::1 dst=fe80::5 proto=udp sport=547 dport=546", Accept},
		// allow-dhcpv6's ipv6 chain has no final drop: other IPv6 falls
		// off its end and is accepted by the chain's policy, both ways,
		// before clean-traffic's final drop in the root chain (as with
		// libvirt, which creates the chain with policy ACCEPT).
		{"other IPv6 out", "dir=out src=fe80::5 dst=fe80::1 proto=tcp dport=22", Accept},
		{"other IPv6 in", "dir=in src=fe80::1 dst=fe80::5 proto=tcp dport=22", Accept},
	}
	checkProbes(t, g, tests)

	// clean-traffic alone drops all IPv6: no ipv6 chain to fall off.
	g = compileFor(t, builtins(t), "clean-traffic", nwfilter.Param{Name: "IP", Value: "10.0.0.5"})
	checkProbes(t, g, []probe{{"other IPv6 out, clean-traffic only", "dir=out src=fe80::5 dst=fe80::1 proto=tcp dport=22", Drop}})
}
