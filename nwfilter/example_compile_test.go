package nwfilter

import (
	"fmt"

	"github.com/gonwfilter/gonwfilter/nwfilter/ir"
)

func ExampleCompile() {
	port, _ := ParseLiteral(KindUint16, "22")
	filters := mapResolver{
		"allow-ssh": {Name: "allow-ssh", Chain: "root", Entries: []Entry{
			{Rule: &Rule{
				Action: ir.ActionAccept, Direction: ir.DirIn, Priority: 500, StateMatch: true,
				Protocol: ir.ProtoTCP,
				Attrs: []Attr{
					{Name: "srcipaddr", Value: Value{Var: &VarRef{Name: "ADMIN", Iterator: 0}}},
					{Name: "dstportstart", Value: Value{Lit: port}},
				},
			}},
		}},
	}
	b := &Binding{
		PortDev: "vnet0",
		MAC:     ir.MAC{0x52, 0x54, 0x00, 0x12, 0x34, 0x56},
		FilterRef: FilterRef{Filter: "allow-ssh", Params: []Param{
			{Name: "ADMIN", Value: "192.0.2.10"},
			{Name: "ADMIN", Value: "192.0.2.11"},
		}},
	}
	g, err := Compile(filters, b, CompileOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(g.Dump())
	// Output:
	// binding portdev=vnet0 mac=52:54:00:12:34:56 filter=allow-ssh iplearning=any
	// ethernet: no rules
	// ip
	//   in accept prio=500 tcp srcip=192.0.2.10/32 dstport=22 # from allow-ssh rule 0.0
	//   in accept prio=500 tcp srcip=192.0.2.11/32 dstport=22 # from allow-ssh rule 0.1
}
