package telemetry

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// kafkaFree are the packages that must build without the Kafka client:
// every stage links them, and librdkafka belongs only to the commands
// that talk to Kafka.
var kafkaFree = []string{
	"github.com/secpipe/secpipe/pkg/gen",
	"github.com/secpipe/secpipe/pkg/classify",
	"github.com/secpipe/secpipe/pkg/store",
	"github.com/secpipe/secpipe/pkg/stats",
	"github.com/secpipe/secpipe/pkg/telemetry",
	"github.com/secpipe/secpipe/pkg/pipeline",
	"github.com/secpipe/secpipe/pkg/event",
	"github.com/secpipe/secpipe/pkg/sigma",
}

const kafkaClient = "github.com/confluentinc/confluent-kafka-go"

// TestNoKafkaClient fails when one of kafkaFree depends on the Kafka
// client, and shows the chain of imports that brings it in.
func TestNoKafkaClient(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("no go tool on PATH")
		}
		t.Skip("no go tool on PATH")
	}
	args := append([]string{"list", "-deps", "-f", "{{.ImportPath}} {{join .Imports \" \"}}"}, kafkaFree...)
	out, err := exec.Command(goTool, args...).Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	imports := map[string][]string{}
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		if len(fields) > 0 {
			imports[fields[0]] = fields[1:]
		}
	}
	for _, pkg := range kafkaFree {
		if chain := importChain(imports, pkg, kafkaClient); chain != nil {
			t.Errorf("%s depends on the Kafka client: %s", pkg, strings.Join(chain, " -> "))
		}
	}
}

// importChain returns the imports that lead from pkg to a package under
// prefix (breadth first: a shortest chain), or nil.
func importChain(imports map[string][]string, pkg, prefix string) []string {
	from := map[string]string{pkg: ""}
	queue := []string{pkg}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if strings.HasPrefix(p, prefix) {
			var chain []string
			for ; p != ""; p = from[p] {
				chain = append([]string{p}, chain...)
			}
			return chain
		}
		for _, q := range imports[p] {
			if _, seen := from[q]; !seen {
				from[q] = p
				queue = append(queue, q)
			}
		}
	}
	return nil
}
