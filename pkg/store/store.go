// Package store is the table layout of classified events: the CSV columns
// of secpipe store (the course lab's first), and the rows of one event, one
// per ATT&CK tactic/technique pair. The file and stream sinks that write
// them live in package sink.
package store
