// Package stats is the statistics stage: it reads classified events (the
// store's CSV, the course lab's classified_packets.csv, or classified JSON
// Lines) in one streaming pass and reports events per ATT&CK tactic, per
// time bucket and tactic, and the top techniques, hosts, users and source
// IPs; it draws the lab's stacked bar chart and writes ATT&CK Navigator
// layers.
//
// Memory stays flat in the number of rows: counts are kept per distinct
// value and per time bucket, and time buckets start at a second and
// coarsen as the span grows, so that the automatic bucket size (at most
// about 150 buckets) is known only at the end without a second pass.
package stats
