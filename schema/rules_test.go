package schema

import "testing"

// TestCheckRules: a table must say what dates it and how its rows merge.
func TestCheckRules(t *testing.T) {
	cols := []Column{{Name: "id", Type: String}, {Name: "day", Type: Date}, {Name: "timestamp", Type: Timestamp}, {Name: "score", Type: Int}}
	for _, tc := range []struct {
		name  string
		t     Table
		panic bool
	}{
		{"keys", Table{Name: "a", DatedBy: "day", Merge: &Merge{Keys: [][]string{{"day"}}}}, false},
		{"series", Table{Name: "a", DatedBy: "timestamp", Merge: &Merge{Series: "timestamp"}}, false},
		{"one", Table{Name: "a", Merge: &Merge{One: true}}, false},
		{"no rule", Table{Name: "a", DatedBy: "day", Merge: &Merge{}}, true},
		{"two rules", Table{Name: "a", Merge: &Merge{One: true, ByID: true}}, true},
		{"unknown key column", Table{Name: "a", Merge: &Merge{Keys: [][]string{{"night"}}}}, true},
		{"series not an instant", Table{Name: "a", Merge: &Merge{Series: "day"}}, true},
		{"dated by a number", Table{Name: "a", DatedBy: "score", Merge: &Merge{ByID: true}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.t.Columns = cols
			defer func() {
				if r := recover(); (r != nil) != tc.panic {
					t.Errorf("panic %v, want one: %v", r, tc.panic)
				}
			}()
			checkRules(&tc.t)
		})
	}
}
