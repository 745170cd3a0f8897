// Package ecs names the Elastic Common Schema fields secpipe reads and writes,
// with the course lab's flat names beside them, and encodes the ATT&CK threat
// fields that classify adds to an event.
package ecs

// Well-known fields: each list holds the ECS path first, then the lab's flat
// field name. Readers take the first path that holds a value.
var (
	EventID    = []string{"event.id", "event_id"}
	Timestamp  = []string{"@timestamp", "timestamp"}
	User       = []string{"user.name", "user"}
	Host       = []string{"host.name", "host"}
	SourceIP   = []string{"source.ip", "source_ip"}
	EventType  = []string{"event.action", "event_type"}
	EventKind  = []string{"event.kind"}
	DestIP     = []string{"destination.ip", "destination_ip"}
	DestPort   = []string{"destination.port", "destination_port"}
	Process    = []string{"process.name", "process_name"}
	Command    = []string{"process.command_line", "command_line"}
	Message    = []string{"message"}
	Dataset    = []string{"event.dataset"}
	Outcome    = []string{"event.outcome", "logon_type"}
	Truth      = []string{"truth"}
	TruthScen  = []string{"truth.scenario"}
	TruthRun   = []string{"truth.run"}
	TruthTech  = []string{"truth.techniques"}
	TruthTact  = []string{"truth.tactics"}
	Trigger    = []string{"sigma.correlation.trigger"}
	RuleLevel  = []string{"rule.level"}
	RuleName   = []string{"rule.name"}
	RuleID     = []string{"rule.id"}
	TacticID   = []string{"threat.tactic.id", "mitre_tactic"}
	TechID     = []string{"threat.technique.id", "mitre_technique"}
	SubTechID  = []string{"threat.technique.subtechnique.id"}
	TacticName = []string{"threat.tactic.name"}
	// SourceCountry is the source's country, as secpipe enrich adds it
	// from a GeoIP database; source_country is store's CSV column.
	SourceCountry = []string{"source.geo.country_iso_code", "source_country"}
	// Indicator is each threat-intelligence indicator an event matched, as
	// secpipe enrich adds it; threat_indicator is store's CSV column, the
	// indicators joined by ";".
	Indicator = []string{"threat.enrichments.matched.atomic", "threat_indicator"}
)

// Framework is the value of threat.framework.
const Framework = "MITRE ATT&CK"
