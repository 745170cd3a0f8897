// Exactly-once: the offsets a transactional sink commits with its output.

package source

import (
	"errors"
	"fmt"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/secpipe/secpipe/pkg/pipeline"
)

// TxOffsets returns the offsets to commit in a transaction that holds the
// output of batches, and the consumer's group metadata. It fails when a
// partition of the batches was taken away meanwhile: committing its offsets
// could duplicate the new owner's output.
func (k *Kafka) TxOffsets(batches [][]pipeline.Message) ([]ck.TopicPartition, *ck.ConsumerGroupMetadata, error) {
	k.mu.Lock()
	var all []mark
	for i, msgs := range batches {
		// Ack pops the entries once the transaction is committed.
		if i < len(k.pending) && len(msgs) > 0 && k.pending[i].first == &msgs[0] {
			all = append(all, k.pending[i].marks...)
			continue
		}
		all = append(all, marksOf(msgs)...)
	}
	if len(k.pending) == len(batches) && len(k.idle) > 0 {
		// Nothing newer is in flight: the positions read since can go too.
		all = append(all, k.idle...)
	}
	var offs []ck.TopicPartition
	for _, m := range mergeMarks(all) {
		if !k.assigned[m.tp] {
			k.mu.Unlock()
			return nil, nil, fmt.Errorf("partition %s[%d] was reassigned before its events were committed", m.tp.topic, m.tp.part)
		}
		offs = append(offs, ck.TopicPartition{Topic: k.topic(m.tp.topic), Partition: m.tp.part, Offset: ck.Offset(m.next)})
	}
	k.mu.Unlock()
	if k.opts.Group == "" {
		return nil, nil, errors.New("exactly-once needs a consumer group")
	}
	meta, err := k.c.GetConsumerGroupMetadata()
	if err != nil {
		return nil, nil, err
	}
	return offs, meta, nil
}
