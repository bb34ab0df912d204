package parquet

// SetMaxRowGroupRows sets the row cap of row groups and returns a function
// that restores it.
func SetMaxRowGroupRows(n int) (restore func()) {
	old := maxRowGroupRows
	maxRowGroupRows = n
	return func() { maxRowGroupRows = old }
}
