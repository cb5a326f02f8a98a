package nwfilter

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

func portRule(t *testing.T) Entry {
	return rule(t, ir.ActionAccept, ir.DirOut, 500, ir.ProtoTCP, "dstportstart=$PORT")
}

func TestScopeInnerParametersAreDefaults(t *testing.T) {
	res := mapResolver{}.add(
		filter("top", "", ref("mid", "PORT=80")),
		filter("mid", "", ref("leaf", "PORT=8080", "PORT=8081")),
		filter("leaf", "", portRule(t)),
	)
	// Without a binding value, the outermost filterref's value wins over the
	// inner one: mid's scope already holds PORT=80 when it references leaf.
	g, err := Compile(res, binding(t, "top"), CompileOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{"out accept prio=500 tcp dstport=80"}, ruleLines(g))

	// A binding value overrides every filterref parameter, list and all.
	g, err = Compile(res, binding(t, "top", "PORT=22", "PORT=23"), CompileOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{
		"out accept prio=500 tcp dstport=22",
		"out accept prio=500 tcp dstport=23",
	}, ruleLines(g))
}

func TestScopeInnerParameterUsedWhenNothingOuter(t *testing.T) {
	res := mapResolver{}.add(
		filter("top", "", ref("leaf", "PORT=8080", "PORT=8081"), ref("leaf", "PORT=9")),
		filter("leaf", "", portRule(t)),
	)
	g, err := Compile(res, binding(t, "top"), CompileOptions{})
	require.NoError(t, err)
	// Each reference gives its own scope; repeated names form a list.
	assert.Equal(t, []string{
		"out accept prio=500 tcp dstport=8080",
		"out accept prio=500 tcp dstport=8081",
		"out accept prio=500 tcp dstport=9",
	}, ruleLines(g))
}

func TestReservedMACFilledFromBinding(t *testing.T) {
	res := mapResolver{}.add(filter("f", "mac", rule(t, ir.ActionReturn, ir.DirOut, 500, ir.ProtoMAC, "srcmacaddr=$MAC")))
	g, err := Compile(res, binding(t, "f"), CompileOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{"out return prio=500 mac srcmac=52:54:00:12:34:56"}, ruleLines(g))

	// An explicit MAC parameter wins over the binding's MAC.
	g, err = Compile(res, binding(t, "f", "MAC=52:54:00:00:00:01"), CompileOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{"out return prio=500 mac srcmac=52:54:00:00:00:01"}, ruleLines(g))
}

func TestReservedIPFromLearnedAddresses(t *testing.T) {
	res := mapResolver{}.add(filter("f", "", rule(t, ir.ActionAccept, ir.DirOut, 500, ir.ProtoTCP, "srcipaddr=$IP")))
	learned := []netip.Addr{netip.MustParseAddr("10.0.0.7")}
	g, err := Compile(res, binding(t, "f"), CompileOptions{LearnedIP: learned})
	require.NoError(t, err)
	assert.Equal(t, []string{"out accept prio=500 tcp srcip=10.0.0.7/32"}, ruleLines(g))

	g, err = Compile(res, binding(t, "f", "IP=10.0.0.2"), CompileOptions{LearnedIP: learned})
	require.NoError(t, err)
	assert.Equal(t, []string{"out accept prio=500 tcp srcip=10.0.0.2/32"}, ruleLines(g))
}

func TestIPLearningModeRecorded(t *testing.T) {
	res := mapResolver{}.add(filter("f", "", rule(t, ir.ActionAccept, ir.DirOut, 500, ir.ProtoTCP)))
	for _, tc := range []struct{ param, want string }{
		{"", "any"}, {"CTRL_IP_LEARNING=DHCP", "dhcp"}, {"CTRL_IP_LEARNING=none", "none"},
	} {
		var params []string
		if tc.param != "" {
			params = append(params, tc.param)
		}
		g, err := Compile(res, binding(t, "f", params...), CompileOptions{})
		require.NoError(t, err)
		assert.Equal(t, tc.want, g.Binding.IPLearning)
	}
	_, err := Compile(res, binding(t, "f", "CTRL_IP_LEARNING=sometimes"), CompileOptions{})
	require.ErrorIs(t, err, ErrInvalidBinding)
}

func TestMissingVariablesAllReportedAtOnce(t *testing.T) {
	res := mapResolver{}.add(
		filter("top", "",
			rule(t, ir.ActionAccept, ir.DirOut, 500, ir.ProtoTCP, "srcipaddr=$IP", "dstportstart=$PORT"),
			ref("leaf"),
		),
		filter("leaf", "",
			rule(t, ir.ActionAccept, ir.DirOut, 500, ir.ProtoUDP, "dstipaddr=$DNS[1]", "srcportstart=$PORT"),
			rule(t, ir.ActionAccept, ir.DirOut, 500, ir.ProtoIPv6, "srcipaddr=$IPV6"),
		),
	)
	_, err := Compile(res, binding(t, "top", "DNS=10.0.0.53"), CompileOptions{})
	var mv *MissingVarsError
	require.ErrorAs(t, err, &mv)
	assert.Equal(t, []string{"DNS[1]", "IP", "IPV6", "PORT"}, mv.Names)
	assert.False(t, mv.NeedsIPLearning())
	assert.Contains(t, err.Error(), "DNS[1], IP, IPV6, PORT")
}

func TestMissingOnlyIPNeedsLearning(t *testing.T) {
	res := cleanTraffic(t)
	_, err := Compile(res, binding(t, "clean-traffic"), CompileOptions{})
	var mv *MissingVarsError
	require.ErrorAs(t, err, &mv)
	assert.Equal(t, []string{"IP"}, mv.Names)
	assert.True(t, mv.NeedsIPLearning())
	assert.Equal(t, "any", mv.IPLearning)

	_, err = Compile(res, binding(t, "clean-traffic", "CTRL_IP_LEARNING=none"), CompileOptions{})
	require.ErrorAs(t, err, &mv)
	assert.False(t, mv.NeedsIPLearning(), "learning none makes a missing IP an error")

	_, err = Compile(res, binding(t, "clean-traffic", "CTRL_IP_LEARNING=dhcp"), CompileOptions{})
	require.ErrorAs(t, err, &mv)
	assert.True(t, mv.NeedsIPLearning())
}

func TestBadVariableValueNamesEverything(t *testing.T) {
	f := filter("f", "", rule(t, ir.ActionAccept, ir.DirOut, 500, ir.ProtoTCP, "srcipaddr=$IP"))
	f.Entries[0].Rule.Pos = Pos{File: "f.xml", Line: 4, Col: 5}
	_, err := Compile(mapResolver{}.add(f), binding(t, "f", "IP=10.0.0.2", "IP=fd00::1"), CompileOptions{})
	var re *RuleError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, "f", re.Filter)
	assert.Equal(t, 0, re.Index)
	assert.Equal(t, "srcipaddr", re.Attr)
	assert.Equal(t, "$IP", re.Var)
	assert.Equal(t, "fd00::1", re.Value)
	assert.Contains(t, err.Error(), `f.xml:4:5: filter "f" rule 0: attribute srcipaddr (from $IP = "fd00::1")`)
	var le *LiteralError
	require.ErrorAs(t, err, &le, "the reason is the literal parser's error")
	assert.Equal(t, KindIPv4, le.Kind)
}
