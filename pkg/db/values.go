package db

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/secpipe/secpipe/pkg/store"
)

// EventID is the key of an event's row: its event.id, or else "sha256:"
// and the hash of its JSON, so that an event delivered twice is one row
// either way.
func EventID(rec *store.Record, raw []byte) string {
	if rec.EventID != "" {
		return rec.EventID
	}
	sum := sha256.Sum256(raw)
	return "sha256:" + hex.EncodeToString(sum[:16])
}

// orNull is s, or NULL when empty.
func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// nullFunc returns orNull for the text of dialect d.
func nullFunc(d Dialect) func(string) any {
	if d == Postgres {
		return func(s string) any { return orNull(pgText(s)) }
	}
	return orNull
}

// EventValues appends the values of the event's row, in the order of
// EventColumns, to dst: NULL for a field the event lacks. id is its key
// (EventID), raw its JSON.
func EventValues(dst []any, d Dialect, rec *store.Record, id string, raw []byte) []any {
	var port any
	if p, err := strconv.ParseInt(rec.DestPort, 10, 64); err == nil {
		port = p
	}
	var t any
	if rec.Dated {
		if d == Postgres {
			t = time.Unix(0, rec.Time).UTC()
		} else {
			t = rec.Time
		}
	}
	var ev any = string(raw)
	orNull := nullFunc(d)
	if d == Postgres {
		ev = pgJSON(raw) // jsonb takes the bytes
	}
	if d == Postgres {
		id = pgText(id)
	}
	return append(dst,
		id, orNull(rec.Timestamp), orNull(rec.User), orNull(rec.Host), orNull(rec.SourceIP), orNull(rec.EventType),
		orNull(rec.Tactic), orNull(rec.Technique),
		orNull(strings.Join(rec.RuleNames, ";")), orNull(strings.Join(rec.RuleIDs, ";")),
		orNull(rec.Level), orNull(rec.EventKind), orNull(rec.Dataset), orNull(rec.DestIP), port,
		orNull(rec.Process), orNull(rec.CommandLine), t, ev,
		orNull(rec.SourceCountry), orNull(strings.Join(rec.Indicators, ";")),
	)
}

// EachPair calls f with the values of each event_pairs row of the event,
// in the order of PairColumns: one per pair and rule (the event does not
// tell which of its rules gave which technique), rule_id "" when it matched
// no rule.
func EachPair(d Dialect, rec *store.Record, id string, f func(vals ...any) error) error {
	orNull := nullFunc(d)
	if d == Postgres {
		id = pgText(id)
	}
	for _, p := range rec.Pairs {
		if len(rec.RuleIDs) == 0 {
			if err := f(id, p.Tactic, p.Technique, orNull(p.TacticName), orNull(p.TechniqueName), "", nil); err != nil {
				return err
			}
			continue
		}
		for i, rid := range rec.RuleIDs {
			var name any
			if i < len(rec.RuleNames) {
				name = orNull(rec.RuleNames[i])
			}
			if err := f(id, p.Tactic, p.Technique, orNull(p.TacticName), orNull(p.TechniqueName), rid, name); err != nil {
				return err
			}
		}
	}
	return nil
}
