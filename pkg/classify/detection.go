package classify

import (
	"github.com/secpipe/secpipe/pkg/ecs"
	"github.com/secpipe/secpipe/pkg/sigma"
)

// Detection is a tagged event as a timeline shows it: when and where, what
// matched, and the few fields that explain it.
type Detection struct {
	Input      string // the file (or topic) the event was read from
	Time       int64  // Unix nanoseconds; HasTime false when the event has none
	HasTime    bool
	Host       string
	Channel    string
	EventID    string
	Level      string // the highest level of the rules
	Rules      []*sigma.Rule
	Techniques []string // ATT&CK techniques and sub-techniques, sorted
	Tactics    []string
	Details    []Field // the first explaining fields the event has
}

// Field is one named value of an event.
type Field struct{ Name, Value string }

// explaining lists the Sigma fields that tell an analyst what happened, in
// the order they are shown; a detection shows the first few the event has.
var explaining = []string{
	"CommandLine", "ScriptBlockText", "Payload", "Image", "ParentImage",
	"TargetObject", "Details", "TargetFilename", "TargetImage", "SourceImage", "GrantedAccess",
	"ServiceName", "ImagePath", "ServiceFileName", "TaskName",
	"TargetUserName", "SubjectUserName", "MemberName", "User", "IpAddress", "LogonType",
	"ShareName", "RelativeTargetName", "ObjectName", "AttributeLDAPDisplayName", "AttributeValue",
	"ServiceName", "TicketEncryptionType", "Status",
	"DestinationIp", "DestinationPort", "QueryName", "Data", "payload",
}

// MaxDetails is how many explaining fields a detection carries.
const MaxDetails = 4

type detectionRefs struct {
	channel, eventID sigma.FieldRef
	details          []sigma.FieldRef
}

// OnDetection makes the stage call f with every tagged event it lets
// through (after the filter), before the event goes on. Call it before the
// first event; d is reused between calls.
func (s *Stage) OnDetection(f func(d *Detection)) {
	s.onDetection = f
	s.refs = &detectionRefs{channel: s.engine.Field("Channel"), eventID: s.engine.Field("EventID")}
	seen := map[string]bool{}
	for _, name := range explaining {
		if !seen[name] {
			seen[name] = true
			s.refs.details = append(s.refs.details, s.engine.Field(name))
		}
	}
	// Matchers read only the paths known when they are made.
	s.matcher = s.engine.NewMatcher()
}

// detect fills the stage's detection for the last event matched.
func (s *Stage) detect(input string, rules []int) {
	d := &s.det
	m := s.matcher
	d.Input = input
	d.Time, d.HasTime = m.Time()
	d.Host = string(m.Text(s.host))
	d.Channel = string(m.Text(s.refs.channel))
	d.EventID = string(m.Text(s.refs.eventID))
	d.Rules, d.Techniques, d.Tactics, d.Details, d.Level = d.Rules[:0], d.Techniques[:0], d.Tactics[:0], d.Details[:0], ""
	for _, i := range rules {
		r := s.engine.Rules[i]
		d.Rules = append(d.Rules, r)
		if ecs.LevelRank(r.Level) > ecs.LevelRank(d.Level) {
			d.Level = r.Level
		}
		for _, t := range s.tags[i].techniques {
			d.Techniques = appendUnique(d.Techniques, t)
		}
		for _, t := range s.tags[i].tactics {
			d.Tactics = appendUnique(d.Tactics, t)
		}
	}
	sortStrings(d.Techniques)
	sortTactics(d.Tactics, s.cat)
	for _, ref := range s.refs.details {
		if len(d.Details) == MaxDetails {
			break
		}
		if v := m.Text(ref); len(v) > 0 && string(v) != "-" {
			d.Details = append(d.Details, Field{Name: ref.Name, Value: string(v)})
		}
	}
	s.onDetection(d)
}
