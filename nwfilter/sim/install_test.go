package sim

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

func TestInstanceText(t *testing.T) {
	in := ir.Instance{Swapped: true, State: ir.StateEstablished, CtDir: ir.ConnDirReply, Verdict: ir.VerdictReturn}
	assert.Equal(t, "swapped, state ESTABLISHED, ctdir reply, -j RETURN", instanceText(&in))
	in = ir.Instance{State: ir.StateInvalid, StateNegate: true, Connlimit: true, Verdict: ir.VerdictNone}
	assert.Equal(t, "state !INVALID, connlimit, no target", instanceText(&in))
}
