package nwfilter

import "strconv"

var kindNames = [...]string{
	KindUint8:      "uint8",
	KindUint16:     "uint16",
	KindUint32:     "uint32",
	KindMAC:        "MAC address",
	KindMACMask:    "MAC mask",
	KindIPv4:       "IPv4 address",
	KindIPv4Mask:   "IPv4 mask",
	KindIPv6:       "IPv6 address",
	KindIPv6Mask:   "IPv6 mask",
	KindBool:       "boolean",
	KindComment:    "comment",
	KindState:      "state list",
	KindTCPFlags:   "TCP flags value",
	KindIPSetName:  "ipset name",
	KindIPSetFlags: "ipsetflags value",
	KindDSCP:       "dscp",
	KindConnlimit:  "connlimit",
	KindEtherType:  "ether type",
	KindVLANEncap:  "VLAN encapsulated protocol",
	KindVLANID:     "VLAN id",
	KindARPOpcode:  "ARP opcode",
	KindIPProtocol: "IP protocol",
}

// String names the kind as error messages use it, e.g. "IPv4 mask".
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}
