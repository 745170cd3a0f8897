package cli

import (
	"strconv"
	"strings"

	ucli "github.com/urfave/cli/v2"

	"github.com/secpipe/secpipe/pkg/kafka"
	"github.com/secpipe/secpipe/pkg/render"
)

func metadataCommand(env *Env) *ucli.Command {
	return &ucli.Command{
		Name:  "metadata",
		Usage: "list the brokers, topics and partitions of a Kafka cluster (kcat -L)",
		Description: `Lists the cluster's brokers, then every topic (or only --topic) with its
partitions, their leader, replicas and in-sync replicas: the kcat -L of secpipe.
--format json prints {"brokers":[{"id","addr"}],"topics":[{"topic","partitions":
[{"partition","leader","replicas","isrs"}]}]}.

Examples:
   secpipe metadata
   secpipe metadata -b kafka:9092 -t events --format json`,
		Flags: joinFlags([]ucli.Flag{
			&ucli.StringSliceFlag{Name: "topic", Aliases: []string{"t"}, Usage: "only `TOPIC` (repeatable; default: every topic)"},
			formatFlag(),
		}, kafkaFlags()),
		Action: func(c *ucli.Context) error {
			if c.NArg() > 0 {
				return usageErrorf("metadata takes no arguments (got %s): name topics with --topic", strings.Join(c.Args().Slice(), " "))
			}
			format, err := readFormat(c)
			if err != nil {
				return err
			}
			cfg, err := readKafkaConfig(c, env)
			if err != nil {
				return err
			}
			admin, err := kafka.NewAdmin(c.Context, cfg)
			if err != nil {
				return err
			}
			defer admin.Close()
			md, err := admin.Metadata(c.StringSlice("topic"))
			if err != nil {
				return err
			}
			if format == render.JSON {
				return render.WriteJSON(env.Stdout, md)
			}
			brokers := render.Table{Title: "Brokers", Header: []string{"ID", "ADDRESS"}, Right: []int{0}}
			for _, b := range md.Brokers {
				brokers.Rows = append(brokers.Rows, []string{strconv.Itoa(int(b.ID)), b.Addr})
			}
			parts := render.Table{Title: "Topics", Header: []string{"TOPIC", "PARTITION", "LEADER", "REPLICAS", "ISRS"}, Right: []int{1, 2}}
			for _, t := range md.Topics {
				for _, p := range t.Partitions {
					parts.Rows = append(parts.Rows, []string{t.Topic, strconv.Itoa(int(p.Partition)), strconv.Itoa(int(p.Leader)), ids(p.Replicas), ids(p.ISRs)})
				}
			}
			return render.Tables(env.Stdout, format, brokers, parts)
		},
	}
}

// ids joins broker IDs with commas.
func ids(list []int32) string {
	s := make([]string, len(list))
	for i, id := range list {
		s[i] = strconv.Itoa(int(id))
	}
	return strings.Join(s, ",")
}
