package backend

// Capabilities reports what the kernel and tools can do for a backend.
type Capabilities struct {
	// Backend is the backend's name.
	Backend string
	// Tools are the programs the backend runs.
	Tools []Tool
	// Features are kernel and tool features the backend may need.
	Features []Feature
}

// Tool describes one program a backend runs.
type Tool struct {
	// Name is the program's name, e.g. "iptables-restore".
	Name string
	// Path is where it was found, or "" when missing.
	Path string
	// Version is the version it reports, e.g. "1.8.9".
	Version string
	// Variant is "nf_tables" or "legacy" for xtables tools, else "".
	Variant string
}

// Feature is one probed capability.
type Feature struct {
	// Name identifies the feature, e.g. "physdev" or "bridge-conntrack".
	Name string
	// Available says whether it works here.
	Available bool
	// Detail says how it was probed or why it is missing.
	Detail string
}

// Has reports whether the named feature is available.
func (c Capabilities) Has(name string) bool {
	for _, f := range c.Features {
		if f.Name == name {
			return f.Available
		}
	}
	return false
}

// Missing returns the features that are not available.
func (c Capabilities) Missing() []Feature {
	var out []Feature
	for _, f := range c.Features {
		if !f.Available {
			out = append(out, f)
		}
	}
	return out
}
