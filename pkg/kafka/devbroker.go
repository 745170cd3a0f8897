package kafka

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// DevBrokerOptions configures StartDevBroker.
type DevBrokerOptions struct {
	// Listen is host:port; "" or a port of 0 picks a free port on 127.0.0.1.
	Listen string
	// Partitions is the partition count of topics created on first use and
	// of Topics (default 3).
	Partitions int
	// Topics are created at start.
	Topics []string
	// DataDir, if set, keeps the broker's state in a directory, so that a
	// broker restarted on it has the data back (for outage tests).
	DataDir string
}

// DefaultDevPartitions is the partition count of the development broker's topics.
const DefaultDevPartitions = 3

// StartDevBroker starts an in-memory broker speaking the Kafka protocol
// (franz-go's kfake) for demos, tests and machines without Docker. It keeps
// everything in memory and nothing after it stops; it is not for production.
// Topics are created on first use. It runs until stop is called or ctx is
// done, and returns the address clients should use.
func StartDevBroker(ctx context.Context, o DevBrokerOptions) (addr string, stop func(), err error) {
	listen := o.Listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	if _, _, err := net.SplitHostPort(listen); err != nil {
		return "", nil, fmt.Errorf("listen address %q: want host:port", listen)
	}
	parts := o.Partitions
	if parts <= 0 {
		parts = DefaultDevPartitions
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.ListenFn(func(network, _ string) (net.Listener, error) { return net.Listen(network, listen) }),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(parts),
		kfake.GroupMinSessionTimeout(500 * time.Millisecond),
		kfake.ClusterID("secpipe-dev"),
	}
	if o.DataDir != "" {
		opts = append(opts, kfake.DataDir(o.DataDir))
	}
	if len(o.Topics) > 0 {
		opts = append(opts, kfake.SeedTopics(int32(parts), o.Topics...))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return "", nil, err
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
		case <-done:
		}
		c.Close()
		close(stopped)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() { close(done) })
		<-stopped
	}
	return c.ListenAddrs()[0], stop, nil
}
