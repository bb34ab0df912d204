// Package importer turns the files people saved from Oura into an export's
// store, so that they build into the same unified tables as the API: the
// legacy Oura Cloud JSON and trends CSV (every era), saved v1 answers, Oura
// on the Web per-dataset downloads, the Membership Hub export zip, and
// ouraexport's own archives (encrypted ones included). A file's kind is
// detected by its content, never its name; folders and zips (zips in zips
// too) are walked. Records keep the shape they came in and are stored in
// the import collections (Collections), merged under API data by the build.
// An import is all or nothing: every file is read and checked before any is
// stored.
package importer
