package cli

import (
	"fmt"
	"os"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/secpipe/secpipe/pkg/classify"
	"github.com/secpipe/secpipe/pkg/enrich"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/sigma"
	"github.com/secpipe/secpipe/pkg/sink"
)

func enrichCommand(env *Env) *ucli.Command {
	return &ucli.Command{
		Name:      "enrich",
		Usage:     "add GeoIP, ASN and threat-intelligence matches to events",
		ArgsUsage: "[FILE ...]",
		Description: `Reads events from the files, folders or stdin (any format secpipe reads) and
writes every event to stdout, with what is known of its addresses, domains, URLs
and file hashes added:

  --geoip FILE   a MaxMind-format database: GeoLite2 City, Country or ASN, or
                 DB-IP Lite City, Country or ASN. Gives source.geo.*,
                 source.as.*, destination.geo.* and destination.as.* (ECS) for
                 public addresses; private and reserved ranges are left alone.
                 Give it twice for a City and an ASN file.
  --intel PATH   indicator files, or folders of them: plain lists (one address,
                 CIDR range, domain, URL or MD5/SHA1/SHA256 a line; '#'
                 comments; hosts files), CSV files (a header naming indicator
                 or value and type, or ip, domain, url, md5, sha1, sha256
                 columns; provider, description, score columns), MISP CSV
                 exports (type,value,to_ids...), and STIX 2.1 bundles of
                 indicators (patterns on ipv4-addr, ipv6-addr, domain-name, url
                 and file hashes, joined by OR; valid_from and valid_until
                 honoured against the event's @timestamp).

A match adds an element to ECS threat.enrichments (indicator.type, indicator.ip,
indicator.url.domain, indicator.url.full or indicator.file.hash.*, provider,
matched.field, matched.atomic) and raises event.risk_score (the indicator's
score, 75 unless its file gives one) and event.severity; threat.enrichments an
input event brings is replaced (emptied without a match), so that it cannot forge
a match for classify's rules. Domains match their subdomains. Events are matched on every ECS field of such values (source and
destination ip, dns.question.name, url.*, file.hash.*, process.hash.*) and,
through classify's field mapping, on the fields of Windows, Zeek, Suricata and
the lab's events (IpAddress, QueryName, Sysmon's Hashes, src_ip...).

Indicators that cannot be read are named by file:line and skipped; the others
are loaded. The files are checked every --reload and read again when they
change; the new set is used from the next batch of events, none dropped or
enriched twice. A failed reload keeps the indicators in use.

Examples:
   secpipe enrich --geoip GeoLite2-City.mmdb --geoip GeoLite2-ASN.mmdb events.jsonl
   secpipe gen | secpipe enrich --geoip city.mmdb --intel iocs/ | secpipe classify
   secpipe enrich --intel feodo.csv --intel misp-export.csv --intel bundle.json logs/
   secpipe enrich --intel iocs/ --from-topic events --to-topic enriched`,
		Flags: joinFlags([]ucli.Flag{
			&ucli.StringSliceFlag{Name: "geoip", Usage: "look addresses up in the MaxMind-format database `FILE` (repeatable: City then ASN)", Category: "Enrichment"},
			&ucli.StringSliceFlag{Name: "intel", Usage: "match indicators from `PATH`, a file or a folder (repeatable)", Category: "Enrichment"},
			&ucli.DurationFlag{Name: "reload", Value: enrichReload, Usage: "check the files for changes every `DURATION` (0: never)", Category: "Enrichment"},
			&ucli.StringSliceFlag{Name: "mapping", Usage: "extend the field mapping with `FILE` (repeatable; see secpipe rules mapping)", Category: "Enrichment"},
		}, inputFlags(), kafkaFlags(), kafkaSourceFlags(), kafkaSinkFlags(), telemetryFlags()),
		Action: func(c *ucli.Context) error {
			const prog = "secpipe enrich"
			cfg := enrich.Config{
				GeoIP: c.StringSlice("geoip"), Intel: c.StringSlice("intel"), Reload: c.Duration("reload"),
				Now: env.Now, Log: env.Stderr, Prefix: prog,
			}
			if len(cfg.GeoIP) == 0 && len(cfg.Intel) == 0 {
				return usageErrorf("nothing to enrich with: give --geoip FILE or --intel PATH")
			}
			if cfg.Reload < 0 {
				return usageErrorf("--reload: want a duration of 0 or more")
			}
			mapping := classify.BuiltinMapping()
			for _, p := range c.StringSlice("mapping") {
				data, err := os.ReadFile(p)
				if err != nil {
					return fmt.Errorf("--mapping: %w", err)
				}
				m, err := sigma.ParseMapping(data, p)
				if err != nil {
					return fmt.Errorf("--mapping: %w", err)
				}
				mapping.Merge(m)
			}
			cfg.Mapping = mapping
			in, err := readInputConfig(c)
			if err != nil {
				return err
			}
			e, err := enrich.New(cfg)
			if err != nil {
				return err
			}
			defer e.Close()
			tel, err := startTelemetry(c, env, prog)
			if err != nil {
				return err
			}
			defer tel.close()
			src, rejects, closeDLQ, err := openSource(c.Context, c, env, prog, in, tel)
			if err != nil {
				return err
			}
			defer closeDLQ()
			out, err := openSink(c.Context, c, env, tel, sinkSpec(c, "-"), sink.Options{})
			if err != nil {
				src.Close()
				return err
			}
			if c.String("from-topic") == "" {
				tel.showInputProgress(in.Specs)
			}
			stage := e.NewStage()
			err = pipeline.Run(c.Context, src, tel.stage(stage), out, tel.policy())
			st := stage.Stats()
			tel.summary(fmt.Sprintf("%s: %d events, %d located, %d matched an indicator", prog, st.Events, st.Located, st.Matched))
			reportRejects(env, prog, rejects)
			return err
		},
	}
}

// enrichReload is how often enrich checks its files by default.
const enrichReload = 10 * time.Second
