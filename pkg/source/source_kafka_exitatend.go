// ExitAtEnd and Count: the end of each partition at the start, and when the
// input is over.

package source

import (
	"fmt"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

func (k *Kafka) queryEnds(parts []ck.TopicPartition) error {
	k.ends = map[tp]int64{}
	k.atEnd = map[tp]bool{}
	k.recheck = true
	timeout := k.timeoutMs()
	var stops []ck.TopicPartition
	if !k.opts.StopAt.IsZero() {
		query := make([]ck.TopicPartition, len(parts))
		for i, p := range parts {
			query[i] = p
			query[i].Offset = ck.Offset(k.opts.StopAt.UnixMilli())
		}
		var err error
		if stops, err = k.c.OffsetsForTimes(query, timeout); err != nil {
			return fmt.Errorf("offsets for e@%d: %w", k.opts.StopAt.UnixMilli(), err)
		}
	}
	for i, p := range parts {
		lo, hi, err := k.c.QueryWatermarkOffsets(*p.Topic, p.Partition, timeout)
		if err != nil {
			return fmt.Errorf("end offset of %s[%d]: %w", *p.Topic, p.Partition, err)
		}
		if stops != nil && stops[i].Offset >= 0 && int64(stops[i].Offset) < hi {
			hi = int64(stops[i].Offset) // the first message at or after StopAt
		}
		t := tp{*p.Topic, p.Partition}
		k.ends[t] = hi
		if hi <= lo {
			k.atEnd[t] = true // empty: at its end already
		}
	}
	return nil
}

// ended reports whether --count or --exit-at-end ends the input.
func (k *Kafka) ended() bool {
	if k.opts.Count > 0 && k.count >= k.opts.Count {
		return true
	}
	if !k.opts.ExitAtEnd || !k.recheck {
		return k.atEnds
	}
	k.recheck = false
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.assigned) == 0 {
		return false
	}
	for t := range k.assigned {
		if _, ok := k.ends[t]; ok && !k.atEnd[t] { // partitions created since the start do not count
			return false
		}
	}
	k.atEnds = true
	return true
}

// reached records the position reached in a partition, for ExitAtEnd.
func (k *Kafka) reached(t tp, next int64) {
	if k.ends == nil || k.atEnd[t] {
		return
	}
	if end, ok := k.ends[t]; ok && next >= end {
		k.atEnd[t] = true
		k.recheck = true
	}
}
