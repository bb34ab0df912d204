package watch

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/ouraexport/ouraexport/internal/atomicfile"
)

// DeletesName is the file of the deletes applied lately, in the watch folder.
const DeletesName = "deletes.json"

// keepDeletes is how long an applied delete is remembered: Oura retries a
// delivery for about an hour, so an older create or update cannot come.
const keepDeletes = 24 * time.Hour

// deletes are the documents deleted lately, by account, with the time of
// the delete event: a create or update Oura sent before it and delivered
// after (a retried delivery, one replayed after a restart) is stale, and
// would otherwise be asked for until it is given up. They are kept on disk
// so that a restart remembers them.
type deletes struct {
	path string
	mu   sync.Mutex
	m    map[string]applied // by account \x00 collection \x00 id
}

// applied is a delete applied: its event's time, and when it was applied.
type applied struct {
	Event time.Time `json:"event"`
	At    time.Time `json:"at"`
}

func deleteKey(acct string, k docKey) string { return acct + "\x00" + k.coll + "\x00" + k.id }

// loadDeletes reads the file in dir; a missing or unreadable one is empty
// (the deletes only save retries).
func loadDeletes(dir string) *deletes {
	d := &deletes{path: filepath.Join(dir, DeletesName), m: map[string]applied{}}
	if b, err := os.ReadFile(d.path); err == nil {
		json.Unmarshal(b, &d.m)
	}
	return d
}

// add records applied deletes and saves the file, forgetting those older
// than keepDeletes.
func (d *deletes) add(acct string, its []*item, now time.Time) error {
	if len(its) == 0 {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, it := range its {
		if k, t := deleteKey(acct, it.key()), it.when(); t.After(d.m[k].Event) {
			d.m[k] = applied{Event: t, At: now}
		}
	}
	for k, a := range d.m {
		if now.Sub(a.At) > keepDeletes {
			delete(d.m, k)
		}
	}
	b, _ := json.Marshal(d.m)
	return atomicfile.WriteFile(d.path, b)
}

// stale reports whether it, a create or update, is no later than a delete
// of its document already applied.
func (d *deletes) stale(acct string, it *item) bool {
	if it.change.Op == "delete" {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	a, ok := d.m[deleteKey(acct, it.key())]
	return ok && !it.when().After(a.Event)
}
