package watch

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func ev(id string) Event {
	return Event{EventType: "update", DataType: "tag", ObjectID: id, EventTime: "2024-01-02T03:04:05Z", UserID: "u1"}
}

func TestJournalReplaysWhatIsNotAcked(t *testing.T) {
	dir := t.TempDir()
	j, pending, err := OpenJournal(dir)
	if err != nil || len(pending) != 0 {
		t.Fatalf("new journal: %v, %d pending", err, len(pending))
	}
	now := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	var seqs []uint64
	for _, id := range []string{"a", "b", "c", "d"} {
		e, err := j.Append(ev(id), now)
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, e.Seq)
	}
	if err := j.Ack(seqs[0], seqs[2]); err != nil {
		t.Fatal(err)
	}
	if got := j.Pending(); got != 2 {
		t.Errorf("pending %d, want 2", got)
	}
	j.Close()

	j, pending, err = OpenJournal(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 2 || pending[0].Event.ObjectID != "b" || pending[1].Event.ObjectID != "d" || !pending[0].Arrived.Equal(now) {
		t.Fatalf("replayed %+v, want b and d", pending)
	}
	// Numbers go on after the replayed ones.
	e, err := j.Append(ev("e"), now)
	if err != nil {
		t.Fatal(err)
	}
	if e.Seq <= seqs[3] {
		t.Errorf("seq %d after a reopen, want more than %d", e.Seq, seqs[3])
	}
	j.Close()
	fi, err := os.Stat(filepath.Join(dir, JournalName))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("journal mode %v, want 0600", fi.Mode().Perm())
	}
}

// A crash in the middle of a write leaves a line without its end: that
// event was never answered 2xx, and is dropped; the others survive.
func TestJournalTornLine(t *testing.T) {
	dir := t.TempDir()
	j, _, err := OpenJournal(dir)
	if err != nil {
		t.Fatal(err)
	}
	j.Append(ev("a"), time.Now())
	j.Close()
	f, err := os.OpenFile(filepath.Join(dir, JournalName), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"seq":2,"at":"2024-01-02T03:04:05Z","event":{"event_ty`)
	f.Close()
	j, pending, err := OpenJournal(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if len(pending) != 1 || pending[0].Event.ObjectID != "a" {
		t.Fatalf("replayed %+v, want a alone", pending)
	}
	if e, _ := j.Append(ev("b"), time.Now()); e.Seq != 2 {
		t.Errorf("seq %d after the torn line, want 2", e.Seq)
	}
}

func TestJournalDamaged(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, JournalName), []byte("{\"seq\":1}\nnot json\n"), 0o600)
	if _, _, err := OpenJournal(dir); err == nil {
		t.Fatal("a damaged journal opened")
	}
}

// Once nothing is pending, a grown journal is emptied; concurrent appends
// share their syncs and all survive.
func TestJournalCompactsAndConcurrentAppends(t *testing.T) {
	defer func(n int64) { compactAt = n }(compactAt)
	compactAt = 16 << 10
	dir := t.TempDir()
	j, _, err := OpenJournal(dir)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var seqs []uint64
	for i := range 8 {
		wg.Go(func() {
			for range 200 {
				e, err := j.Append(ev(string(rune('a'+i))), time.Now())
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				seqs = append(seqs, e.Seq)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if j.Pending() != 1600 {
		t.Fatalf("pending %d, want 1600", j.Pending())
	}
	if err := j.Ack(seqs...); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(filepath.Join(dir, JournalName))
	if fi.Size() != 0 {
		t.Errorf("journal of %d bytes with nothing pending, want it emptied", fi.Size())
	}
	e, err := j.Append(ev("z"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	j.Close()
	_, pending, err := OpenJournal(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 || pending[0].Seq != e.Seq {
		t.Errorf("replayed %+v, want only seq %d", pending, e.Seq)
	}
}
