package schema

import (
	"strconv"
	"strings"
)

// unknown records a member the schema does not know (raw key as in the document).
func (w *walker) unknown(key, raw []byte) {
	if w.d.err != nil || w.check {
		return
	}
	w.path = append(w.path, pathElem{name: string(key), idx: -1})
	w.record(raw, IssueUnknown, "")
	w.path = w.path[:len(w.path)-1]
}

// misfit records a value of known field f that does not fit its column.
func (w *walker) misfit(f *field, raw []byte, want string) {
	w.misfitSub(f.name, raw, want)
}

func (w *walker) misfitSub(name string, raw []byte, want string) {
	if w.d.err != nil {
		return
	}
	w.path = append(w.path, pathElem{name: name, idx: -1})
	w.record(raw, IssueMisfit, want)
	w.path = w.path[:len(w.path)-1]
}

func (w *walker) misfitItem(seq int, raw []byte) {
	w.path = append(w.path, pathElem{name: "items", idx: -1}, pathElem{idx: seq})
	w.record(raw, IssueMisfit, "a number or null")
	w.path = w.path[:len(w.path)-2]
}

func (w *walker) duplicate(f *field, raw []byte) { w.duplicateSub(f.name, raw) }

func (w *walker) duplicateSub(name string, raw []byte) {
	if w.d.err != nil {
		return
	}
	w.path = append(w.path, pathElem{name: name, idx: -1})
	w.record(raw, IssueDuplicate, "")
	w.path = w.path[:len(w.path)-1]
}

func (w *walker) nullProblem(name string) {
	if w.check {
		w.problem(w.fieldPath(name) + " is null")
	}
}

// record keeps raw at the current path in extra (map mode) or reports it
// (check mode; unknown fields are fine there).
func (w *walker) record(raw []byte, issue Issue, want string) {
	if w.check {
		switch issue {
		case IssueMisfit:
			w.problem(w.fieldPath("") + ": want " + want + ", got " + clip(raw))
		case IssueDuplicate:
			w.problem("duplicate field " + w.fieldPath(""))
		}
		return
	}
	w.extras = append(w.extras, extraEntry{path: append([]pathElem(nil), w.path...), raw: raw})
	w.warns = append(w.warns, warnKey{table: w.c.table.Name, field: w.fieldPath(""), issue: issue})
}

func (w *walker) problem(msg string) {
	if len(w.problems) < maxProblems {
		w.problems = append(w.problems, msg)
	}
}

// fieldPath is the dotted path of the current object plus name, with array
// indices written as [].
func (w *walker) fieldPath(name string) string {
	var sb strings.Builder
	for _, p := range w.path {
		if p.idx >= 0 {
			sb.WriteString("[]")
			continue
		}
		if sb.Len() > 0 {
			sb.WriteByte('.')
		}
		sb.WriteString(p.name)
	}
	if name != "" {
		if sb.Len() > 0 {
			sb.WriteByte('.')
		}
		sb.WriteString(name)
	}
	return sb.String()
}

// clip shortens a raw value for a problem, which stays on one line (a
// pretty-printed value's line breaks become spaces).
func clip(raw []byte) string {
	s := string(raw)
	if len(raw) > 40 {
		s = string(raw[:40]) + "..."
	}
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}

func (p pathElem) key() string {
	if p.idx >= 0 {
		return strconv.Itoa(p.idx)
	}
	return p.name
}
