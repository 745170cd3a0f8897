package cli

import (
	"fmt"
	"os"
	"path/filepath"

	ucli "github.com/urfave/cli/v2"

	"github.com/secpipe/secpipe/pkg/kafka"
)

func brokerCommand(env *Env) *ucli.Command {
	return &ucli.Command{
		Name:  "broker",
		Usage: "run an in-memory Kafka-protocol broker for demos and tests (not for production)",
		Description: `Starts a single broker speaking the Kafka protocol (franz-go's kfake), in memory,
for demos, tests and machines without Docker. It keeps nothing: every topic and
offset is gone when it stops. Topics are created on first use with --partitions
partitions. It runs until interrupted (Ctrl-C or SIGTERM).

It prints its address on stdout (useful with --listen 127.0.0.1:0, which picks a
free port); --addr-file writes it to a file once the broker is ready.

Examples:
   secpipe broker &
   secpipe broker --listen 127.0.0.1:0 --addr-file /tmp/broker.addr --topics events,classified
   secpipe gen | secpipe publish --topic events`,
		Flags: []ucli.Flag{
			&ucli.StringFlag{Name: "listen", Value: "127.0.0.1:9092", Usage: "listen on `HOST:PORT` (port 0: a free one)"},
			&ucli.IntFlag{Name: "partitions", Value: kafka.DefaultDevPartitions, Usage: "partitions of each topic (`N`)"},
			&ucli.StringFlag{Name: "topics", Usage: "create `TOPICS` (comma-separated) at start"},
			&ucli.StringFlag{Name: "addr-file", Usage: "write the address to `FILE` once ready"},
		},
		Action: func(c *ucli.Context) error {
			const prog = "secpipe broker"
			if c.NArg() > 0 {
				return usageErrorf("broker takes no arguments")
			}
			if c.Int("partitions") <= 0 {
				return usageErrorf("--partitions must be positive")
			}
			addr, stop, err := kafka.StartDevBroker(c.Context, kafka.DevBrokerOptions{
				Listen:     c.String("listen"),
				Partitions: c.Int("partitions"),
				Topics:     splitList(c.String("topics")),
			})
			if err != nil {
				return err
			}
			defer stop()
			if path := c.String("addr-file"); path != "" {
				tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
				if err := os.WriteFile(tmp, []byte(addr+"\n"), 0o644); err != nil {
					return err
				}
				if err := os.Rename(tmp, path); err != nil {
					return err
				}
			}
			fmt.Fprintf(env.Stderr, "%s: listening on %s. In memory only: it keeps nothing once stopped, and is not for production. Ctrl-C stops it.\n", prog, addr)
			fmt.Fprintln(env.Stdout, addr)
			<-c.Context.Done()
			fmt.Fprintf(env.Stderr, "%s: stopped\n", prog)
			return nil
		},
	}
}
