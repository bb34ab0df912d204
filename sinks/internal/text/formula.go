package text

// The CSV sink's guard against formula injection (OWASP's rule): a text
// cell (a String or JSON value) that starts with a character spreadsheets
// read as the start of a formula (=, +, -, @) or that Excel treats alike
// (tab, carriage return) is written with a single quote before it, so that
// a spreadsheet shows it as text and runs nothing. A value that starts
// with a single quote gets one too, so that every reader can give back the
// value exactly by dropping the first quote of a cell that starts with
// one (Unguard). Numbers, dates and instants are never text cells and are
// never guarded: a negative number stays a number.

// FormulaGuard is the character put before a guarded text cell.
const FormulaGuard = '\''

// Guarded reports whether the text value s is written with FormulaGuard
// before it.
func Guarded(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r', FormulaGuard:
		return true
	}
	return false
}

// Unguard returns the value a CSV text cell holds: the cell without the
// FormulaGuard the sink put before it.
func Unguard(cell string) string {
	if len(cell) > 0 && cell[0] == FormulaGuard {
		return cell[1:]
	}
	return cell
}
