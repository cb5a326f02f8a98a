package nwfilter

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

func TestValidatePortDev(t *testing.T) {
	// The kernel's rules plus ':' and non-printable bytes (ValidateIfName).
	for _, ok := range []string{"vnet0", "tap-1234abcd", "veth_a.100", strings.Repeat("x", 15)} {
		assert.NoError(t, ValidatePortDev(ok), ok)
	}
	for _, bad := range []string{"", "..", strings.Repeat("x", 16), "a/b", "a b", "a:b", "a\x00b", "täp"} {
		assert.Error(t, ValidatePortDev(bad), "%q", bad)
	}
}

func TestBindingValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(b *Binding)
		want   string
	}{
		{"valid", func(*Binding) {}, ""},
		{"bad portdev", func(b *Binding) { b.PortDev = "vnet/0" }, "portdev"},
		{"bad linkdev", func(b *Binding) { b.LinkDev = "eth 0" }, "linkdev"},
		{"no mac", func(b *Binding) { b.MAC = ir.MAC{} }, "mac"},
		{"no filter", func(b *Binding) { b.FilterRef.Filter = "" }, "filterref"},
		{"bad filter name", func(b *Binding) { b.FilterRef.Filter = "a;b" }, "filterref"},
		{"bad param name", func(b *Binding) { b.FilterRef.Params = paramList("I-P=1") }, "name"},
		{"bad param value", func(b *Binding) { b.FilterRef.Params = paramList("IP=10.0.0.0/8") }, "value"},
		{"empty param value", func(b *Binding) { b.FilterRef.Params = paramList("IP=") }, "value"},
		{"bad learning", func(b *Binding) { b.FilterRef.Params = paramList("CTRL_IP_LEARNING=yes") }, "CTRL_IP_LEARNING"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := binding(t, "f", "IP=10.0.0.2")
			tc.mutate(b)
			err := b.Validate()
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrInvalidBinding)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
