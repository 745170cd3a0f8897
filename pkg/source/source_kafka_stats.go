// Consumer lag, from librdkafka's statistics.

package source

import (
	"cmp"
	"encoding/json"
	"slices"

	"github.com/secpipe/secpipe/pkg/kafka"
)

// Lag returns the consumer lag of the partitions assigned, as librdkafka
// last reported it (see KafkaOptions.StatsInterval): the messages after
// the position acknowledged (or committed). It is safe to call at any time.
func (k *Kafka) Lag() []kafka.PartitionLag {
	k.mu.Lock()
	defer k.mu.Unlock()
	return slices.Clone(k.lag)
}

// rdStats is the part of librdkafka's statistics that Lag reads.
type rdStats struct {
	Topics map[string]struct {
		Partitions map[string]struct {
			Partition         int32 `json:"partition"`
			ConsumerLag       int64 `json:"consumer_lag"`
			ConsumerLagStored int64 `json:"consumer_lag_stored"`
			CommittedOffset   int64 `json:"committed_offset"`
			LoOffset          int64 `json:"lo_offset"`
			LsOffset          int64 `json:"ls_offset"`
		} `json:"partitions"`
	} `json:"topics"`
}

// readStats keeps the lag of the assigned partitions from a statistics event.
func (k *Kafka) readStats(js string) {
	var st rdStats
	if err := json.Unmarshal([]byte(js), &st); err != nil {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.lag = k.lag[:0]
	for topic, t := range st.Topics {
		for _, p := range t.Partitions {
			lag := p.ConsumerLagStored
			if lag < 0 {
				lag = p.ConsumerLag
			}
			if p.Partition < 0 || lag < 0 || !k.assigned[tp{topic, p.Partition}] {
				continue
			}
			pl := kafka.PartitionLag{Topic: topic, Partition: p.Partition, Start: p.LoOffset, End: p.LsOffset, Lag: lag}
			if p.CommittedOffset >= 0 {
				c := p.CommittedOffset
				pl.Committed = &c
			}
			k.lag = append(k.lag, pl)
		}
	}
	slices.SortFunc(k.lag, func(a, b kafka.PartitionLag) int {
		return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
}
