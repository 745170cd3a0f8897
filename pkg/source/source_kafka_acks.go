// Offset bookkeeping: the positions each Read covers, stored for commit once
// the batch is acknowledged.

package source

import (
	"context"
	"errors"
	"io"
	"slices"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/secpipe/secpipe/pkg/pipeline"
)

// mark is a read position: the offset after the last message read.
type mark struct {
	tp   tp
	next int64
}

type readEntry struct {
	first *pipeline.Message
	n     int
	marks []mark
	spans []openSpan // ended when the batch is acknowledged
}

func noOffset(err error) bool {
	var ke ck.Error
	return errors.As(err, &ke) && ke.Code() == ck.ErrNoOffset
}

// finish ends a Read: a batch with messages is queued for Ack with the
// positions it covers.
func (k *Kafka) finish(b *pipeline.Batch, more bool, err error) error {
	if len(b.Msgs) == 0 {
		k.settleIdle()
		if err == nil {
			err = io.EOF
		}
		return err
	}
	b.More = more
	var spans []openSpan
	if len(k.spans) > 0 {
		spans = slices.Clone(k.spans)
		clear(k.spans)
		k.spans = k.spans[:0]
	}
	k.mu.Lock()
	marks := append(k.idle, k.cur...)
	k.idle = nil
	k.pending = append(k.pending, readEntry{first: &b.Msgs[0], n: len(b.Msgs), marks: mergeMarks(marks), spans: spans})
	k.mu.Unlock()
	k.cur = k.cur[:0]
	if err == io.EOF {
		err = nil // the next Read reports the end
	}
	return err
}

// settleIdle keeps positions read outside any batch (bad messages, ends of
// partitions); with nothing in flight they are stored at once.
func (k *Kafka) settleIdle() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.idle = append(k.idle, k.cur...)
	k.cur = k.cur[:0]
	if len(k.pending) == 0 && len(k.idle) > 0 && k.opts.Group != "" && !k.opts.ExactlyOnce {
		k.store(mergeMarks(k.idle))
		k.idle = nil
	}
}

func (k *Kafka) addMark(t tp, next int64) {
	for i := len(k.cur) - 1; i >= 0; i-- {
		if k.cur[i].tp == t {
			if next > k.cur[i].next {
				k.cur[i].next = next
			}
			return
		}
	}
	k.cur = append(k.cur, mark{t, next})
}

// mergeMarks keeps the furthest position of each partition.
func mergeMarks(ms []mark) []mark {
	out := make([]mark, 0, len(ms))
next:
	for _, m := range ms {
		for i := range out {
			if out[i].tp == m.tp {
				if m.next > out[i].next {
					out[i].next = m.next
				}
				continue next
			}
		}
		out = append(out, m)
	}
	return out
}

// Ack implements pipeline.Source: it stores, for each partition, the offset
// past the acknowledged batch, to be committed.
func (k *Kafka) Ack(_ context.Context, msgs []pipeline.Message) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.pending) > 0 && len(msgs) > 0 && k.pending[0].first == &msgs[0] {
		for _, s := range k.pending[0].spans {
			s.span.End()
		}
	}
	marks := k.take(msgs, true)
	if k.opts.Group != "" && !k.opts.ExactlyOnce {
		k.store(marks)
		if len(k.pending) == 0 && len(k.idle) > 0 {
			k.store(mergeMarks(k.idle))
			k.idle = nil
		}
	}
	select {
	case k.acked <- struct{}{}:
	default:
	}
	return nil
}

// take returns the positions past msgs, a batch read earlier, popping its
// queue entry when pop is set. Batches are acknowledged in the order read;
// messages not matching the oldest entry are accounted for by themselves.
func (k *Kafka) take(msgs []pipeline.Message, pop bool) []mark {
	if len(k.pending) > 0 && len(msgs) > 0 && k.pending[0].first == &msgs[0] {
		e := k.pending[0]
		if pop {
			k.pending[0] = readEntry{}
			k.pending = k.pending[1:]
		}
		return e.marks
	}
	return marksOf(msgs)
}

// marksOf returns the positions past msgs, from their origins.
func marksOf(msgs []pipeline.Message) []mark {
	var ms []mark
	for _, m := range msgs {
		if m.Origin.Offset >= 0 {
			ms = append(ms, mark{tp{m.Origin.Input, m.Origin.Partition}, m.Origin.Offset + 1})
		}
	}
	return mergeMarks(ms)
}

// store records positions to be committed, never moving one back, for the
// partitions still assigned.
func (k *Kafka) store(marks []mark) {
	var offs []ck.TopicPartition
	for _, m := range marks {
		if !k.assigned[m.tp] || m.next <= k.stored[m.tp] {
			continue
		}
		k.stored[m.tp] = m.next
		offs = append(offs, ck.TopicPartition{Topic: k.topic(m.tp.topic), Partition: m.tp.part, Offset: ck.Offset(m.next)})
	}
	if len(offs) == 0 {
		return
	}
	if _, err := k.c.StoreOffsets(offs); err != nil {
		k.logf("storing offsets: %v", err)
	}
}
