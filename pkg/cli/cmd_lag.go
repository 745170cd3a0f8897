package cli

import (
	"fmt"
	"strconv"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/secpipe/secpipe/pkg/kafka"
	"github.com/secpipe/secpipe/pkg/pipeline"
	"github.com/secpipe/secpipe/pkg/render"
)

func lagCommand(env *Env) *ucli.Command {
	return &ucli.Command{
		Name:  "lag",
		Usage: "show how far a consumer group is behind, per partition",
		Description: `Prints, for every partition of the group's topics, the group's committed offset,
the partition's end offset and the lag between them. A group that never
committed on a partition shows "-" and its lag counts from the oldest message
kept (the log start offset). Without --topic, the topics are those the group
committed on or its members are assigned.

--format json prints {"group":..,"partitions":[{"topic","partition","committed",
"start","end","lag"}],"total_lag":N}. --watch refreshes every --interval until
interrupted; --until-zero refreshes until the group's total lag is 0 (on at least
one partition) and exits 0 then: a script's way to wait for a stage to catch up.

Examples:
   secpipe lag --group secpipe-classify
   secpipe lag --group classifiers --topic events --watch --interval 1s
   secpipe lag --group classifiers --topic events --until-zero
   secpipe lag --group storage --format json`,
		Flags: joinFlags([]ucli.Flag{
			&ucli.StringFlag{Name: "group", Aliases: []string{"G"}, Usage: "consumer group `NAME`"},
			&ucli.StringSliceFlag{Name: "topic", Aliases: []string{"t"}, Usage: "only `TOPIC` (repeatable; default: the group's topics)"},
			formatFlag(),
			&ucli.BoolFlag{Name: "watch", Aliases: []string{"w"}, Usage: "refresh until interrupted"},
			&ucli.BoolFlag{Name: "until-zero", Usage: "refresh until the total lag is 0, then exit 0"},
			&ucli.DurationFlag{Name: "interval", Value: 2 * time.Second, Usage: "refresh every `DURATION` with --watch"},
		}, kafkaFlags()),
		Action: func(c *ucli.Context) error {
			if c.NArg() > 0 {
				return usageErrorf("lag takes no arguments: name the group with --group")
			}
			if c.String("group") == "" {
				return usageErrorf("--group is required")
			}
			format, err := readFormat(c)
			if err != nil {
				return err
			}
			interval := c.Duration("interval")
			if interval <= 0 {
				return usageErrorf("--interval must be positive")
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
			untilZero := c.Bool("until-zero")
			watch := c.Bool("watch") || untilZero
			clear := watch && format == render.Text && env.IsTerminal != nil && env.IsTerminal(env.Stdout)
			for {
				lag, err := admin.Lag(c.Context, c.String("group"), c.StringSlice("topic"))
				if err != nil {
					if c.Context.Err() != nil {
						return pipeline.ErrInterrupted
					}
					return err
				}
				if clear {
					fmt.Fprint(env.Stdout, "\033[H\033[2J")
				} else if watch && format != render.JSON {
					fmt.Fprintf(env.Stdout, "%s\n", env.Now().Format(time.RFC3339))
				}
				if err := writeLag(env, format, lag); err != nil {
					return err
				}
				if !watch || untilZero && lag.Total == 0 && len(lag.Partitions) > 0 {
					return nil
				}
				if format != render.JSON {
					fmt.Fprintln(env.Stdout)
				}
				select {
				case <-c.Context.Done():
					return pipeline.ErrInterrupted
				case <-time.After(interval):
				}
			}
		},
	}
}

func writeLag(env *Env, format render.Format, lag kafka.GroupLag) error {
	if format == render.JSON {
		return render.WriteJSON(env.Stdout, lag)
	}
	t := render.Table{
		Title:  "Group " + lag.Group,
		Header: []string{"TOPIC", "PARTITION", "COMMITTED", "END", "LAG"},
		Right:  []int{1, 2, 3, 4},
	}
	for _, p := range lag.Partitions {
		committed := "-"
		if p.Committed != nil {
			committed = strconv.FormatInt(*p.Committed, 10)
		}
		t.Rows = append(t.Rows, []string{p.Topic, strconv.Itoa(int(p.Partition)), committed, strconv.FormatInt(p.End, 10), strconv.FormatInt(p.Lag, 10)})
	}
	t.Rows = append(t.Rows, []string{"total", "", "", "", strconv.FormatInt(lag.Total, 10)})
	return render.Tables(env.Stdout, format, t)
}
