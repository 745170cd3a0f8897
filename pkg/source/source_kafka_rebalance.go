// Partitions assigned and taken away: where a partition starts, and what is
// settled before one is given up.

package source

import (
	"fmt"
	"time"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/secpipe/secpipe/pkg/kafka"
)

// RevokeWait bounds how long a rebalance waits for the batches in flight
// to be acknowledged before it gives the partitions up.
var RevokeWait = 30 * time.Second

// startOffsets sets the start offset of partitions assigned for the first
// time, unless the group's stored offsets are wanted.
func (k *Kafka) startOffsets(parts []ck.TopicPartition) error {
	var fresh []int
	k.mu.Lock()
	for i, p := range parts {
		t := tp{*p.Topic, p.Partition}
		if !k.started[t] {
			k.started[t] = true
			fresh = append(fresh, i)
		}
	}
	k.mu.Unlock()
	o := k.opts.Offset
	if o.Kind == kafka.Stored && k.opts.Group == "" {
		o = kafka.StartOffset{Kind: kafka.Beginning}
	}
	if o.Kind == kafka.Stored || len(fresh) == 0 {
		return nil
	}
	if off, ok := o.Logical(); ok {
		for _, i := range fresh {
			parts[i].Offset = off
		}
		return nil
	}
	query := make([]ck.TopicPartition, len(fresh))
	for j, i := range fresh {
		query[j] = parts[i]
		query[j].Offset = ck.Offset(o.Time.UnixMilli())
	}
	res, err := k.c.OffsetsForTimes(query, k.timeoutMs())
	if err != nil {
		return fmt.Errorf("offsets for %s: %w", o, err)
	}
	for j, i := range fresh {
		off := res[j].Offset
		if off < 0 { // nothing at or after that time
			off = ck.OffsetEnd
		}
		parts[i].Offset = off
	}
	return nil
}

// rebalance runs on the reading goroutine, inside Poll.
func (k *Kafka) rebalance(c *ck.Consumer, ev ck.Event) error {
	cooperative := c.GetRebalanceProtocol() == "COOPERATIVE"
	switch e := ev.(type) {
	case ck.AssignedPartitions:
		parts := e.Partitions
		if err := k.startOffsets(parts); err != nil && k.opts.Logs != nil {
			k.opts.Logs.Printf("%v (starting from the stored offsets)", err)
		}
		k.mu.Lock()
		for _, p := range parts {
			t := tp{*p.Topic, p.Partition}
			k.assigned[t] = true
			delete(k.stored, t) // reading starts again from the committed offset
		}
		k.mu.Unlock()
		k.recheck = true
		if cooperative {
			return c.IncrementalAssign(parts)
		}
		return c.Assign(parts)
	case ck.RevokedPartitions:
		lost := c.AssignmentLost()
		if !lost {
			k.waitAcked()
		}
		k.mu.Lock()
		revoked := map[tp]bool{}
		for _, p := range e.Partitions {
			t := tp{*p.Topic, p.Partition}
			revoked[t] = true
			delete(k.assigned, t)
			// What was stored and not committed is gone with the partition
			// (lost, it cannot be committed): a later owner, this source
			// again included, stores from where it reads.
			delete(k.stored, t)
		}
		k.mu.Unlock()
		k.dropRevoked(revoked)
		k.recheck = true
		if !lost && k.opts.Group != "" && !k.opts.ExactlyOnce {
			if _, err := c.Commit(); err != nil && !noOffset(err) && k.opts.Logs != nil {
				k.opts.Logs.Printf("committing offsets before a rebalance: %v", err)
			}
		}
		if cooperative {
			return c.IncrementalUnassign(e.Partitions)
		}
		return c.Unassign()
	}
	return nil
}

// waitAcked waits until every batch read is acknowledged, or RevokeWait.
func (k *Kafka) waitAcked() {
	deadline := time.NewTimer(RevokeWait)
	defer deadline.Stop()
	var done <-chan struct{}
	if k.readCtx != nil {
		done = k.readCtx.Done()
	}
	for {
		k.mu.Lock()
		n, closing := len(k.pending), k.closing
		k.mu.Unlock()
		if n == 0 || closing {
			return
		}
		select {
		case <-k.acked:
		case <-done:
			return
		case <-deadline.C:
			if k.opts.Logs != nil {
				k.opts.Logs.Printf("rebalance: %d batch(es) still unacknowledged after %v; their events will be read again by the partitions' next owner", n, RevokeWait)
			}
			return
		}
	}
}

// dropRevoked removes messages of revoked partitions from the batch being
// read, so that they are neither passed on nor committed here: the
// partitions' next owner reads them.
func (k *Kafka) dropRevoked(revoked map[tp]bool) {
	if b := k.curB; b != nil {
		kept := b.Msgs[:0]
		for _, m := range b.Msgs {
			if !revoked[tp{m.Origin.Input, m.Origin.Partition}] {
				kept = append(kept, m)
			} else {
				k.count--
			}
		}
		clear(b.Msgs[len(kept):])
		b.Msgs = kept
	}
	k.cur = withoutRevoked(k.cur, revoked)
	k.mu.Lock()
	k.idle = withoutRevoked(k.idle, revoked)
	k.mu.Unlock()
	kept := k.spans[:0]
	for _, s := range k.spans {
		if revoked[s.tp] {
			endSpan(s.span, errRevoked)
		} else {
			kept = append(kept, s)
		}
	}
	clear(k.spans[len(kept):])
	k.spans = kept
}

func withoutRevoked(ms []mark, revoked map[tp]bool) []mark {
	kept := ms[:0]
	for _, m := range ms {
		if !revoked[m.tp] {
			kept = append(kept, m)
		}
	}
	return kept
}
