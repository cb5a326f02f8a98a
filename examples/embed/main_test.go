package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	for _, name := range []string{"nftables", "xtables"} {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			require.NoError(t, run(context.Background(), name, &out))
			text := out.String()
			assert.Contains(t, text, "== "+name+" would install vnet0, vnet1:\n")
			assert.Contains(t, text, "== "+name+" would install vnet1:\n", "the redefinition re-installs only the user of web-server")
			first, second, ok := strings.Cut(text, "verdict: ")
			require.True(t, ok)
			assert.True(t, strings.HasPrefix(second, "drop"), "SSH is dropped at first")
			_ = first
			assert.Contains(t, second, "verdict: accept", "and accepted after the redefinition")
		})
	}
	assert.Error(t, run(context.Background(), "pf", &bytes.Buffer{}))
}
