package schema

// buildExtra appends to buf the JSON object that keeps the entries: each
// value under its path, nested objects for nested paths, array positions as
// decimal keys ({"heart_rate":{"items":{"17":"x"}}}). Entries come in
// document order, so the entries under one object are adjacent; a path that
// occurs twice (a duplicated member) yields a repeated key.
func buildExtra(buf []byte, entries []extraEntry) []byte {
	buf = append(buf, '{')
	buf = appendMembers(buf, entries, 0)
	return append(buf, '}')
}

func appendMembers(buf []byte, entries []extraEntry, depth int) []byte {
	for i := 0; i < len(entries); {
		e := entries[i]
		key := e.path[depth].key()
		j := i + 1
		if len(e.path) > depth+1 {
			for j < len(entries) && len(entries[j].path) > depth+1 && entries[j].path[depth].key() == key {
				j++
			}
		}
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, '"')
		buf = append(buf, key...) // a raw key from the document, or a name or index: already JSON string content
		buf = append(buf, '"', ':')
		if len(e.path) == depth+1 {
			buf = compact(buf, e.raw)
		} else {
			buf = append(buf, '{')
			buf = appendMembers(buf, entries[i:j], depth+1)
			buf = append(buf, '}')
		}
		i = j
	}
	return buf
}

// compact appends the valid JSON text raw to buf without its insignificant
// white space.
func compact(buf, raw []byte) []byte {
	inStr := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if inStr {
			buf = append(buf, c)
			switch c {
			case '\\':
				i++
				buf = append(buf, raw[i])
			case '"':
				inStr = false
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
		case '"':
			inStr = true
			buf = append(buf, c)
		default:
			buf = append(buf, c)
		}
	}
	return buf
}
