package xtables

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vishvananda/netlink/nl"

	"github.com/gonwfilter/gonwfilter/internal/kerneltest"
	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

// fakeIPSets is an in-memory kernel ipset table that records every change.
type fakeIPSets struct {
	sets    map[string]*fakeSet
	calls   []string
	failing string // a call (as recorded) that fails
	opened  int
}

type fakeSet struct {
	h       setHeader
	members []netip.Prefix
	refs    int // kernel rules using the set
}

func newFakeIPSets() *fakeIPSets { return &fakeIPSets{sets: map[string]*fakeSet{}} }

func (f *fakeIPSets) open() (ipsetConn, error) { f.opened++; return f, nil }

// put adds a set as another program (or a previous process) left it.
func (f *fakeIPSets) put(name, typ string, family setFamily, maxElem uint32, members ...string) {
	s := &fakeSet{h: setHeader{name: name, typ: typ, family: family, maxElem: maxElem}}
	for _, m := range members {
		s.members = append(s.members, netip.MustParsePrefix(m))
	}
	f.sets[name] = s
}

func (f *fakeIPSets) record(call string) error {
	f.calls = append(f.calls, call)
	if call == f.failing {
		return errors.New("injected failure")
	}
	return nil
}

func (f *fakeIPSets) header(name string) (setHeader, bool, error) {
	s, ok := f.sets[name]
	if !ok {
		return setHeader{}, false, nil
	}
	return s.h, true, nil
}

func (f *fakeIPSets) headers() ([]setHeader, error) {
	var out []setHeader
	for _, s := range f.sets {
		out = append(out, s.h)
	}
	return out, nil
}

func (f *fakeIPSets) create(name string, family setFamily) error {
	if err := f.record(fmt.Sprintf("create %s %s", name, family)); err != nil {
		return err
	}
	if f.sets[name] != nil {
		return syscall.EEXIST
	}
	f.put(name, setType, family, ownedMaxElem)
	return nil
}

func (f *fakeIPSets) add(name string, members []netip.Prefix) error {
	for _, p := range members {
		if err := f.record(fmt.Sprintf("add %s %s", name, p)); err != nil {
			return err
		}
		s := f.sets[name]
		if s == nil {
			return syscall.ENOENT
		}
		s.members = append(s.members, p)
	}
	return nil
}

func (f *fakeIPSets) swap(a, b string) error {
	if err := f.record(fmt.Sprintf("swap %s %s", a, b)); err != nil {
		return err
	}
	sa, sb := f.sets[a], f.sets[b]
	if sa == nil || sb == nil {
		return syscall.ENOENT
	}
	if sa.h.typ != sb.h.typ || sa.h.family != sb.h.family {
		return nl.IPSetError(nl.IPSET_ERR_TYPE_MISMATCH)
	}
	sa.h.name, sb.h.name = b, a
	sa.refs, sb.refs = sb.refs, sa.refs
	f.sets[a], f.sets[b] = sb, sa
	return nil
}

func (f *fakeIPSets) destroy(name string) error {
	if err := f.record("destroy " + name); err != nil {
		return err
	}
	s := f.sets[name]
	switch {
	case s == nil:
		return syscall.ENOENT
	case s.refs > 0:
		return nl.IPSetError(nl.IPSET_ERR_BUSY)
	}
	delete(f.sets, name)
	return nil
}

func (f *fakeIPSets) close() {}

func (f *fakeIPSets) members(name string) []string {
	var out []string
	for _, p := range f.sets[name].members {
		out = append(out, p.String())
	}
	return out
}

func newSetsBackend(t *testing.T) (*Backend, *fakeIPSets) {
	t.Helper()
	f := newFakeIPSets()
	b, _ := newFake(Options{SkipProbe: true, ipsets: f.open})
	return b, f
}

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

func TestSetMembersCreatesThroughATemporarySet(t *testing.T) {
	ctx := context.Background()
	b, f := newSetsBackend(t)
	tmp := tempSetName("blocked")
	require.NoError(t, b.SetMembers(ctx, "blocked", prefixes("10.1.2.3/8", "192.0.2.7/32", "10.0.0.0/8")))
	assert.Equal(t, []string{
		"create " + tmp + " inet",
		"add " + tmp + " 10.0.0.0/8",
		"add " + tmp + " 192.0.2.7/32",
		"create blocked inet",
		"swap " + tmp + " blocked",
		"destroy " + tmp,
	}, f.calls, "members are masked and deduplicated; the live set appears filled")
	assert.Equal(t, []string{"10.0.0.0/8", "192.0.2.7/32"}, f.members("blocked"))
	assert.Len(t, f.sets, 1)
}

func TestSetMembersReplacesByASwap(t *testing.T) {
	ctx := context.Background()
	b, f := newSetsBackend(t)
	f.put("blocked", setType, familyInet6, ownedMaxElem, "2001:db8::/32")
	f.sets["blocked"].refs = 1
	tmp := tempSetName("blocked")

	require.NoError(t, b.SetMembers(ctx, "blocked", prefixes("2001:db8:1::/48")))
	assert.Equal(t, []string{"create " + tmp + " inet6", "add " + tmp + " 2001:db8:1::/48", "swap " + tmp + " blocked", "destroy " + tmp}, f.calls)
	assert.Equal(t, []string{"2001:db8:1::/48"}, f.members("blocked"))
	assert.Equal(t, 1, f.sets["blocked"].refs, "the rules keep their reference")

	f.calls = nil
	require.NoError(t, b.SetMembers(ctx, "blocked", nil))
	assert.Equal(t, []string{"create " + tmp + " inet6", "swap " + tmp + " blocked", "destroy " + tmp}, f.calls, "an empty list keeps the set's family")
	assert.Empty(t, f.members("blocked"))
}

func TestSetMembersEmptyCreatesAnIPv4Set(t *testing.T) {
	b, f := newSetsBackend(t)
	require.NoError(t, b.SetMembers(context.Background(), "empty", nil))
	assert.Equal(t, familyInet, f.sets["empty"].h.family)
	assert.Empty(t, f.members("empty"))
}

func TestSetMembersRefusesBadInputBeforeTouchingTheKernel(t *testing.T) {
	tooMany := make([]netip.Prefix, MaxSetMembers+1)
	for i := range tooMany {
		tooMany[i] = netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 32)
	}
	for _, c := range []struct {
		name, set string
		members   []netip.Prefix
		want      string
	}{
		{"empty name", "", nil, `ipset name "": empty`},
		{"name too long", strings.Repeat("a", 32), nil, "longer than 31 bytes"},
		{"space in name", "my set", nil, `character ' ' is not allowed`},
		{"option-like name", "-exist", nil, "must not start with '-'"},
		{"temporary prefix", tempSetPrefix + "x", nil, "reserved for temporary sets"},
		{"invalid prefix", "s", []netip.Prefix{{}}, "member 0 (invalid Prefix): not a valid prefix"},
		{"IPv4-mapped", "s", prefixes("::ffff:10.0.0.1/128"), "IPv4-mapped"},
		{"zero bits", "s", prefixes("0.0.0.0/0"), "/0 prefix"},
		{"mixed families", "s", prefixes("10.0.0.0/8", "10.0.0.1/32", "2001:db8::/32"), "member 2 (2001:db8::/32): inet6, but member 0 (10.0.0.0/8) is inet: a set holds one family"},
		{"too many", "s", tooMany, fmt.Sprintf("%d members, more than %d", MaxSetMembers+1, MaxSetMembers)},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, f := newSetsBackend(t)
			err := b.SetMembers(context.Background(), c.set, c.members)
			require.ErrorContains(t, err, c.want)
			assert.Zero(t, f.opened, "nothing reaches the kernel")
		})
	}
}

func TestSetMembersMemberErrorIsTyped(t *testing.T) {
	b, _ := newSetsBackend(t)
	err := b.SetMembers(context.Background(), "s", prefixes("10.0.0.0/8", "2001:db8::/32"))
	var me *IPSetMemberError
	require.ErrorAs(t, err, &me)
	assert.Equal(t, IPSetMemberError{Set: "s", Index: 1, Member: netip.MustParsePrefix("2001:db8::/32"), Reason: me.Reason}, *me)
}

func TestSetMembersFailureLeavesTheLiveSetAndNoTemporary(t *testing.T) {
	tmp := tempSetName("blocked")
	for _, c := range []struct {
		name     string
		existing bool
		failing  string
	}{
		{"add fails, set exists", true, "add " + tmp + " 10.0.0.2/32"},
		{"swap fails, set exists", true, "swap " + tmp + " blocked"},
		{"add fails, new set", false, "add " + tmp + " 10.0.0.2/32"},
		{"creating the live set fails", false, "create blocked inet"},
		{"swap fails, new set", false, "swap " + tmp + " blocked"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b, f := newSetsBackend(t)
			if c.existing {
				f.put("blocked", setType, familyInet, ownedMaxElem, "192.0.2.0/24")
			}
			f.failing = c.failing
			err := b.SetMembers(context.Background(), "blocked", prefixes("10.0.0.1/32", "10.0.0.2/32", "10.0.0.3/32"))
			require.ErrorContains(t, err, "injected failure")
			assert.Contains(t, f.calls, "destroy "+tmp)
			assert.NotContains(t, f.sets, tmp)
			if c.existing {
				assert.Equal(t, []string{"192.0.2.0/24"}, f.members("blocked"))
			} else {
				assert.Empty(t, f.sets, "a half-made new set is removed")
			}
		})
	}
}

func TestSetMembersStopsWhenTheContextEnds(t *testing.T) {
	b, f := newSetsBackend(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, b.SetMembers(ctx, "s", prefixes("10.0.0.0/8")), context.Canceled)
	assert.Empty(t, f.calls)
}

func TestSetMembersOwnership(t *testing.T) {
	ctx := context.Background()
	tmp := tempSetName("blocked")

	t.Run("a set this backend did not create is refused", func(t *testing.T) {
		b, f := newSetsBackend(t)
		f.put("blocked", "hash:ip", familyInet, 65536, "192.0.2.1/32")
		err := b.SetMembers(ctx, "blocked", prefixes("10.0.0.0/8"))
		require.ErrorIs(t, err, ErrIPSetNotOwned)
		assert.ErrorContains(t, err, `ipset "blocked" (hash:ip, inet, maxelem 65536) was not created by gonwfilter`)
		assert.Empty(t, f.calls)
	})
	t.Run("a foreign hash:net set is refused too", func(t *testing.T) {
		b, f := newSetsBackend(t)
		f.put("blocked", setType, familyInet, 65536)
		require.ErrorIs(t, b.SetMembers(ctx, "blocked", nil), ErrIPSetNotOwned)
		require.ErrorIs(t, b.DeleteSet(ctx, "blocked"), ErrIPSetNotOwned)
		assert.Empty(t, f.calls)
	})
	t.Run("a leftover temporary set is removed first", func(t *testing.T) {
		b, f := newSetsBackend(t)
		f.put(tmp, setType, familyInet, ownedMaxElem, "10.9.9.9/32")
		require.NoError(t, b.SetMembers(ctx, "blocked", prefixes("10.0.0.0/8")))
		assert.Equal(t, "destroy "+tmp, f.calls[0])
		assert.Equal(t, []string{"10.0.0.0/8"}, f.members("blocked"))
	})
	t.Run("a foreign set under the temporary name is refused", func(t *testing.T) {
		b, f := newSetsBackend(t)
		f.put(tmp, "hash:ip", familyInet, 65536)
		require.ErrorIs(t, b.SetMembers(ctx, "blocked", nil), ErrIPSetNotOwned)
		assert.Empty(t, f.calls)
	})
	t.Run("an existing set of the other family is refused", func(t *testing.T) {
		b, f := newSetsBackend(t)
		f.put("blocked", setType, familyInet, ownedMaxElem, "10.0.0.0/8")
		err := b.SetMembers(ctx, "blocked", prefixes("2001:db8::/32"))
		var fe *IPSetFamilyError
		require.ErrorAs(t, err, &fe)
		assert.Equal(t, `xtables: ipset "blocked" is an inet set; it cannot hold inet6 members (delete it first)`, err.Error())
		assert.Empty(t, f.calls)
	})
}

func TestDeleteSet(t *testing.T) {
	ctx := context.Background()
	t.Run("destroys an owned set; a missing one is no error", func(t *testing.T) {
		b, f := newSetsBackend(t)
		require.NoError(t, b.SetMembers(ctx, "blocked", prefixes("10.0.0.0/8")))
		f.calls = nil
		require.NoError(t, b.DeleteSet(ctx, "blocked"))
		require.NoError(t, b.DeleteSet(ctx, "blocked"))
		assert.Equal(t, []string{"destroy blocked"}, f.calls)
		assert.Empty(t, f.sets)
	})
	t.Run("refused while installed bindings use it", func(t *testing.T) {
		f := newFakeIPSets()
		b, _ := newFake(Options{SkipProbe: true, ipsets: f.open, IPSets: fakeSets{"blocked"}})
		require.NoError(t, b.SetMembers(ctx, "blocked", prefixes("10.0.0.0/8")))
		uses := func(port string) *ir.Graph {
			return kerneltest.NewGraph(port, vmMAC).Rule(kerneltest.R(ir.ProtoAll, ir.DirIn, ir.ActionDrop, kerneltest.IPSet("blocked", ir.SetSrc))).Graph()
		}
		require.NoError(t, b.Apply(ctx, uses("vnet1"), uses("vnet0"), kerneltest.TCPServer("vnet2", vmMAC2, 22, true)))
		f.calls = nil

		err := b.DeleteSet(ctx, "blocked")
		var ue *IPSetInUseError
		require.ErrorAs(t, err, &ue)
		assert.Equal(t, []string{"vnet0", "vnet1"}, ue.PortDevs)
		assert.Equal(t, `xtables: ipset "blocked" is used by the rules of port device(s) vnet0, vnet1; tear them down or apply them without it first`, err.Error())
		assert.Empty(t, f.calls)

		require.NoError(t, b.Teardown(ctx, "vnet0", "vnet1"))
		require.NoError(t, b.DeleteSet(ctx, "blocked"))
	})
	t.Run("the kernel's refusal is surfaced", func(t *testing.T) {
		b, f := newSetsBackend(t)
		require.NoError(t, b.SetMembers(ctx, "blocked", prefixes("10.0.0.0/8")))
		f.sets["blocked"].refs = 1
		err := b.DeleteSet(ctx, "blocked")
		var ue *IPSetInUseError
		require.ErrorAs(t, err, &ue)
		assert.Empty(t, ue.PortDevs)
		assert.ErrorIs(t, err, nl.IPSetError(nl.IPSET_ERR_BUSY))
		assert.Contains(t, f.sets, "blocked")
	})
	t.Run("other failures are wrapped", func(t *testing.T) {
		b, f := newSetsBackend(t)
		require.NoError(t, b.SetMembers(ctx, "blocked", nil))
		f.failing = "destroy blocked"
		require.ErrorContains(t, b.DeleteSet(ctx, "blocked"), `xtables: ipset "blocked": destroying: injected failure`)
	})
	t.Run("bad names are refused", func(t *testing.T) {
		b, f := newSetsBackend(t)
		var te *TokenError
		require.ErrorAs(t, b.DeleteSet(ctx, "a;b"), &te)
		assert.Zero(t, f.opened)
	})
}

func TestListSetsReturnsOwnedSetsOnly(t *testing.T) {
	ctx := context.Background()
	b, f := newSetsBackend(t)
	names, err := b.ListSets(ctx)
	require.NoError(t, err)
	assert.Empty(t, names)

	require.NoError(t, b.SetMembers(ctx, "zeta", nil))
	require.NoError(t, b.SetMembers(ctx, "alpha", prefixes("2001:db8::/32")))
	f.put("left-by-earlier-process", setType, familyInet, ownedMaxElem)
	f.put(tempSetName("crashed"), setType, familyInet, ownedMaxElem)
	f.put("users", "hash:ip", familyInet, 65536)
	names, err = b.ListSets(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"alpha", "left-by-earlier-process", "zeta"}, names)
}

func TestTempSetNameFitsAndIsValid(t *testing.T) {
	seen := map[string]bool{}
	for _, name := range []string{"a", "blocked", strings.Repeat("x", maxSetName), "a:b+c.d-e_f"} {
		tmp := tempSetName(name)
		assert.LessOrEqual(t, len(tmp), maxSetName)
		_, err := token(tokSetName, tmp)
		require.NoError(t, err)
		assert.Equal(t, tmp, tempSetName(name), "deterministic")
		assert.False(t, seen[tmp])
		seen[tmp] = true
		assert.Error(t, checkSetName(tmp), "temporary names cannot be managed sets")
	}
}

func TestParseHeaderRefusesMalformedReplies(t *testing.T) {
	for _, msg := range [][]byte{
		nil,
		{2, 0, 0},
		{2, 0, 0, 0},                   // no set name
		{2, 0, 0, 0, 8, 0, 2, 0, 'a'},  // attribute longer than the message
		{2, 0, 0, 0, 3, 0, 2, 0, 0xff}, // attribute shorter than its header
	} {
		_, err := parseHeader(msg)
		assert.Error(t, err, "%x", msg)
	}
	h, err := parseHeader([]byte{2, 0, 0, 0, 6, 0, 2, 0, 'a', 0, 0, 0})
	require.NoError(t, err)
	assert.Equal(t, "a", h.name)
}
