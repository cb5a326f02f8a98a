package nftables

import (
	"strings"
)

// foldScript rewrites the text of a knftables transaction (one command per
// line) into an equivalent script that nft 1.0.x can run without reading
// every chain of the namespace first.
//
// Before it evaluates a script, nft fills a cache from the kernel with what
// its commands need: "add rule" and "add element" need every chain of every
// table (and "delete" anything, too), while "add chain" and "add set"/"add
// map" need only the list of tables. With a few thousand bindings installed,
// that read costs more than the change itself (see "Speed" in the package
// documentation). So:
//
//   - a run of "add rule F T C r" lines for one chain becomes one
//     "add chain F T C { r … }" block, which appends the same rules in the
//     same order (to a new or an existing chain), and replaces an
//     "add chain F T C" right before it;
//   - a run of "add element F T S { e }" lines for one set or map becomes
//     one "add set|map F T S { declaration ; elements = { e, … } ; }" command,
//     using the declaration written earlier in the same script (re-adding an
//     existing set with the same declaration changes nothing in the kernel).
//
// Commands keep their order. A run is left alone when folding it could
// change its meaning: elements whose set is not declared earlier in the
// script, rules that name a set (@name) not declared earlier (nft resolves
// set references against its cache), rules with a position, and rules whose
// first word would read as a chain property inside a block. Plan writes
// transactions that declare what they use, so in practice everything folds;
// a script that does not fold is still correct, only slower.
func foldScript(text string) string {
	var out strings.Builder
	out.Grow(len(text) + len(text)/8)
	// declared holds "family table name" of every set and map declared so
	// far, with its declaration line.
	declared := map[string]string{}
	for rest := text; rest != ""; {
		line, next := nextLine(rest)
		if key, rule, ok := splitRule(line); ok && foldableRule(rule, key, declared) {
			out.WriteString("add chain " + key + " {\n")
			for ok && foldableRule(rule, key, declared) {
				out.WriteString("\t" + rule + "\n")
				rest = next
				line, next = nextLine(rest)
				var k string
				k, rule, ok = splitRule(line)
				ok = ok && k == key
			}
			out.WriteString("}\n")
			continue
		}
		if key, elem, ok := splitElement(line); ok && declared[key] != "" {
			// The declaration ends in " }": the elements go before it.
			out.WriteString(strings.TrimSuffix(declared[key], " }") + " elements = { " + elem)
			for {
				rest = next
				line, next = nextLine(rest)
				k, e, ok := splitElement(line)
				if !ok || k != key {
					break
				}
				out.WriteString(", " + e)
			}
			out.WriteString(" } ; }\n")
			continue
		}
		rest = next
		following, _ := nextLine(rest)
		if key, ok := strings.CutPrefix(line, "add chain "); ok {
			// The block that follows creates the chain: no need to say
			// it twice.
			if k, r, ok := splitRule(following); ok && k == key && foldableRule(r, k, declared) {
				continue
			}
		}
		if key, ok := setDeclKey(line); ok {
			declared[key] = line
			// The declaration goes out with the elements that follow.
			if k, _, ok := splitElement(following); ok && k == key {
				continue
			}
		}
		out.WriteString(line + "\n")
	}
	return out.String()
}

// nextLine splits text after its first line.
func nextLine(text string) (line, rest string) {
	line, rest, _ = strings.Cut(text, "\n")
	return line, rest
}

// fields3 splits "a b c rest" into "a b c" and rest.
func fields3(s string) (key, rest string, ok bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' {
			if n++; n == 3 {
				return s[:i], s[i+1:], true
			}
		}
	}
	return "", "", false
}

// splitRule splits "add rule F T C rule" into "F T C" and the rule; ok is
// false for anything else, including rules with an index or handle.
func splitRule(line string) (key, rule string, ok bool) {
	rest, ok := strings.CutPrefix(line, "add rule ")
	if !ok {
		return "", "", false
	}
	if key, rule, ok = fields3(rest); !ok || rule == "" {
		return "", "", false
	}
	if w, _, _ := strings.Cut(rule, " "); w == "index" || w == "handle" {
		return "", "", false
	}
	return key, rule, true
}

// chainProperties are the words that start a chain property, not a rule,
// inside a chain block.
var chainProperties = map[string]bool{
	"type": true, "hook": true, "priority": true, "policy": true, "flags": true, "device": true, "devices": true, "comment": true,
}

// foldableRule reports whether rule can go into a chain block: it does not
// start with a chain property, and every set it references (@name outside
// strings; "@nh,…" and the like are payload expressions) is declared in the
// same family and table earlier in the script.
func foldableRule(rule, key string, declared map[string]string) bool {
	if w, _, _ := strings.Cut(rule, " "); chainProperties[w] {
		return false
	}
	table := key[:strings.LastIndexByte(key, ' ')+1] // "F T "
	inString := false
	for i := 0; i < len(rule); i++ {
		switch c := rule[i]; {
		case c == '"':
			inString = !inString
		case c == '@' && !inString:
			end := i + 1
			for end < len(rule) && rule[end] != ' ' && rule[end] != ',' && rule[end] != '"' {
				end++
			}
			name := rule[i+1 : end]
			i = end - 1 // the name is read: each byte is looked at once
			if end < len(rule) && rule[end] == ',' {
				continue // payload expression such as @nh,16,16
			}
			if _, ok := declared[table+name]; !ok {
				return false
			}
		}
	}
	return true
}

// splitElement splits "add element F T S { e }" into "F T S" and e.
func splitElement(line string) (key, elem string, ok bool) {
	rest, ok := strings.CutPrefix(line, "add element ")
	if !ok {
		return "", "", false
	}
	key, body, ok := fields3(rest)
	if !ok {
		return "", "", false
	}
	if body, ok = strings.CutPrefix(body, "{ "); !ok {
		return "", "", false
	}
	if body, ok = strings.CutSuffix(body, " }"); !ok || body == "" {
		return "", "", false
	}
	return key, body, true
}

// setDeclKey returns "F T S" for a line "add set|map F T S { … }" that
// declares a set or map.
func setDeclKey(line string) (string, bool) {
	rest, ok := strings.CutPrefix(line, "add set ")
	if !ok {
		if rest, ok = strings.CutPrefix(line, "add map "); !ok {
			return "", false
		}
	}
	key, body, ok := fields3(rest)
	if !ok || !strings.HasPrefix(body, "{ ") || !strings.HasSuffix(body, " }") {
		return "", false
	}
	return key, true
}
