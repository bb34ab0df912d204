// Package flock takes the exclusive, non-waiting file locks that keep two
// runs out of one folder: an export's store, a watch's journal. The kernel
// drops a lock when its process ends, however it ends (SIGKILL included),
// so a crashed run never leaves a folder locked.
package flock
