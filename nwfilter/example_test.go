package nwfilter_test

import (
	"errors"
	"fmt"

	"github.com/gonwfilter/gonwfilter/nwfilter"
)

func ExampleParseFilter() {
	doc := `<filter name='ssh-only' chain='ipv4'>
  <rule action='accept' direction='in'>
    <tcp dstportstart='22' srcipaddr='192.168.1.0' srcipmask='255.255.255.0'/>
  </rule>
  <rule action='drop' direction='in' priority='1000'/>
</filter>`
	f, err := nwfilter.ParseFilter([]byte(doc), "ssh-only.xml")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s", nwfilter.FormatFilter(f))
	// Output:
	// <filter name='ssh-only' chain='ipv4' priority='-700'>
	//   <rule action='accept' direction='in' priority='500'>
	//     <tcp srcipaddr='192.168.1.0' srcipmask='24' dstportstart='22'/>
	//   </rule>
	//   <rule action='drop' direction='in' priority='1000'/>
	// </filter>
}

func ExampleParseErrors() {
	doc := `<filter name='typo'>
  <rule action='drop' direction='in'>
    <tpc dstportstart='22'/>
  </rule>
  <rule action='accept' direction='in'>
    <tcp dstportstart='0x1FFFF'/>
  </rule>
</filter>`
	_, err := nwfilter.ParseFilter([]byte(doc), "typo.xml")
	var errs nwfilter.ParseErrors
	if errors.As(err, &errs) {
		for _, e := range errs {
			fmt.Println(e)
		}
	}
	// Output:
	// typo.xml:3:5: filter/rule[1]/tpc: unknown element <tpc> inside <rule>
	// typo.xml:6:10: filter/rule[2]/tcp/@dstportstart: "0x1FFFF" is not a valid uint16: must be 0–65535
}

func ExampleParseLiteral() {
	for _, in := range []struct {
		kind nwfilter.Kind
		text string
	}{
		{nwfilter.KindIPv4Mask, "255.255.255.0"},
		{nwfilter.KindMAC, "52:54:0:A:b:c"},
		{nwfilter.KindARPOpcode, "request"},
		{nwfilter.KindDSCP, "300"},
	} {
		lit, err := nwfilter.ParseLiteral(in.kind, in.text)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(lit)
	}
	// Output:
	// 24
	// 52:54:00:0a:0b:0c
	// Request
	// "300" is not a valid dscp: must be 0–63
}
