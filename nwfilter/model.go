// Package nwfilter reads, writes and compiles libvirt's network filter
// language.
//
// A Filter is a parsed <filter> document; a Binding says which filter applies
// to which VM port with which variables. A Store holds filters (the built-in
// ones and your own) and resolves <filterref> trees; Compile turns a binding
// into an ir.Graph, the backend-neutral rule graph that backends install.
//
// Parsing is strict: unknown elements and attributes, malformed values and
// out-of-range numbers are errors (*ParseError) that say where and why.
package nwfilter

import "github.com/gonwfilter/gonwfilter/nwfilter/ir"

// Filter is one <filter> document.
type Filter struct {
	// Name is the filter's unique name.
	Name string
	// UUID is the filter's UUID in canonical form, or "" when the document had none.
	UUID string
	// Chain is "root" or a protocol chain name such as "ipv4" or "arp-mac".
	Chain string
	// Priority orders the filter's chain; when the document gave none it holds
	// the chain's default (DefaultChainPriority).
	Priority int
	// Entries are the filter's rules and filter references in document order.
	Entries []Entry
	// Pos is where the <filter> element starts.
	Pos Pos
}

// Entry is a rule or a reference to another filter. Exactly one is set.
type Entry struct {
	// Rule is set for a <rule>.
	Rule *Rule
	// Ref is set for a <filterref>.
	Ref *FilterRef
}

// FilterRef is a <filterref>: a reference to another filter with parameters.
type FilterRef struct {
	// Filter is the referenced filter's name.
	Filter string
	// Params are the <parameter> children in document order. Repeating a name
	// makes a list value.
	Params []Param
	// Pos is where the <filterref> element starts.
	Pos Pos
}

// Param is one variable assignment: a <parameter name value/>.
type Param struct {
	// Name is the variable's name.
	Name string
	// Value is one value of the variable; repeated names make a list.
	Value string
}

// Rule is one <rule>.
type Rule struct {
	// Action is the rule's action attribute.
	Action ir.Action
	// Direction is the rule's direction attribute.
	Direction ir.Direction
	// Priority is the rule's priority, 500 when the document gave none.
	Priority int
	// StateMatch is false when the rule said statematch='false' (or '0').
	StateMatch bool
	// Protocol is the rule's protocol element, ir.ProtoNone when it has none.
	Protocol ir.Protocol
	// Attrs are the protocol element's attributes in the canonical order of
	// the protocol's attribute table (AttrSpecs), each at most once.
	Attrs []Attr
	// Pos is where the <rule> element starts.
	Pos Pos
}

// Attr is one attribute of a rule's protocol element.
type Attr struct {
	// Name is the XML attribute name, e.g. "srcipaddr".
	Name string
	// Value is the literal or variable reference.
	Value Value
	// Negate is set when the attribute came from an element with match='no'.
	Negate bool
}

// Value is an attribute value: a typed literal or a variable reference.
type Value struct {
	// Var is set when the value is a variable reference such as $IP.
	Var *VarRef
	// Lit is the typed literal; meaningful only when Var is nil.
	Lit Literal
}

// VarRef is a variable reference: $NAME, $NAME[N] or $NAME[@N].
type VarRef struct {
	// Name is the variable name ([A-Za-z0-9_]+).
	Name string
	// Index, when HasIndex, selects one list element ($NAME[N]).
	Index    int
	HasIndex bool
	// Iterator is the iterator id ($NAME[@N]; $NAME is iterator 0).
	Iterator int
}

// Binding says that a filter applies to a VM port: libvirt's nwfilter binding.
type Binding struct {
	// Owner identifies the VM (optional).
	Owner Owner
	// PortDev is the host-side interface, e.g. "vnet0" (≤ 15 bytes).
	PortDev string
	// LinkDev is the link device of a macvtap port (optional).
	LinkDev string
	// MAC is the VM's MAC address.
	MAC ir.MAC
	// FilterRef is the top-level filter and its parameters.
	FilterRef FilterRef
	// Backend is the backend the binding asks for ("nftables", "iptables"), or "".
	Backend string
}

// Owner identifies the VM that owns a binding.
type Owner struct {
	// Name is the VM's name.
	Name string
	// UUID is the VM's UUID as written in the document.
	UUID string
}

// Pos is a position in a source document.
type Pos struct {
	// File is the document's name, or "" when it came from memory.
	File string
	// Line and Col are 1-based; 0 when unknown.
	Line, Col int
}
