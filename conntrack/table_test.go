package conntrack

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFlowInvolves(t *testing.T) {
	f := Flow{
		Proto:    6,
		OrigSrc:  netip.MustParseAddrPort("10.0.0.2:40000"),
		OrigDst:  netip.MustParseAddrPort("10.0.0.9:22"),
		ReplySrc: netip.MustParseAddrPort("10.0.0.9:22"),
		ReplyDst: netip.MustParseAddrPort("10.0.0.2:40000"),
	}
	assert.True(t, f.Involves(netip.MustParseAddr("10.0.0.9")))
	assert.True(t, f.Involves(netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("::ffff:10.0.0.2")), "v4-mapped addresses match")
	assert.False(t, f.Involves(netip.MustParseAddr("10.0.0.3")))
	assert.False(t, f.Involves())
}
