package kafka

import (
	"context"
	"fmt"
	"sort"
	"strings"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// PartitionLag is how far a consumer group is behind on one partition.
type PartitionLag struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	// Committed is the group's committed offset; nil when the group never
	// committed on this partition (its lag then counts from Start).
	Committed *int64 `json:"committed"`
	Start     int64  `json:"start"` // log start offset: the oldest message kept
	End       int64  `json:"end"`   // end offset (high watermark)
	Lag       int64  `json:"lag"`
}

// GroupLag is a consumer group's lag on every partition of its topics.
type GroupLag struct {
	Group      string         `json:"group"`
	Partitions []PartitionLag `json:"partitions"`
	Total      int64          `json:"total_lag"`
}

// Admin is an administrative client.
type Admin struct {
	cfg Config
	a   *ck.AdminClient
}

// NewAdmin connects an administrative client, checking within the connect
// timeout that the brokers answer.
func NewAdmin(ctx context.Context, cfg Config) (*Admin, error) {
	// The admin client takes no log channel: quiet librdkafka's own log
	// lines instead; failures come back as errors.
	m := cfg.ConfigMap(Prop{Key: "log_level", Value: "0"})
	a, err := ck.NewAdminClient(m)
	if err != nil {
		return nil, fmt.Errorf("kafka admin client: %w", cfg.RedactErr(err))
	}
	if _, err := cfg.Connect(ctx, a, ""); err != nil {
		a.Close()
		return nil, err
	}
	return &Admin{cfg: cfg, a: a}, nil
}

// Close closes the client.
func (a *Admin) Close() { a.a.Close() }

// Lag is a convenience for NewAdmin, Admin.Lag and Close.
func Lag(ctx context.Context, cfg Config, group string, topics []string) (GroupLag, error) {
	a, err := NewAdmin(ctx, cfg)
	if err != nil {
		return GroupLag{}, err
	}
	defer a.Close()
	return a.Lag(ctx, group, topics)
}

// Lag returns the group's committed offset, the end offset and the lag of
// every partition of topics (nil: the topics the group committed on or its
// members are assigned). A group that never committed is no error: its lag
// counts from each partition's log start offset.
func (a *Admin) Lag(ctx context.Context, group string, topics []string) (GroupLag, error) {
	out := GroupLag{Group: group}
	committed, err := a.committed(ctx, group)
	if err != nil {
		return out, err
	}
	if len(topics) == 0 {
		topics, err = a.groupTopics(ctx, group, committed)
		if err != nil {
			return out, err
		}
		if len(topics) == 0 {
			return out, fmt.Errorf("group %q has no committed offsets and no members: name the topics with --topic", group)
		}
	}
	var parts []ck.TopicPartition
	for _, topic := range topics {
		t := topic
		md, err := a.a.GetMetadata(&t, false, a.timeoutMs())
		if err != nil {
			return out, fmt.Errorf("topic %q: %w", topic, a.cfg.RedactErr(err))
		}
		tm := md.Topics[topic]
		if UnknownTopic(&tm) || len(tm.Partitions) == 0 {
			return out, fmt.Errorf("topic %q does not exist", topic)
		}
		for _, p := range tm.Partitions {
			parts = append(parts, ck.TopicPartition{Topic: &t, Partition: p.ID})
		}
	}
	starts, err := a.listOffsets(ctx, parts, ck.EarliestOffsetSpec)
	if err != nil {
		return out, err
	}
	ends, err := a.listOffsets(ctx, parts, ck.LatestOffsetSpec)
	if err != nil {
		return out, err
	}
	for _, p := range parts {
		key := partKey{*p.Topic, p.Partition}
		pl := PartitionLag{Topic: key.topic, Partition: key.part, Start: starts[key], End: ends[key]}
		from := pl.Start
		if c, ok := committed[key]; ok {
			c := c
			pl.Committed = &c
			if c > from {
				from = c
			}
		}
		if pl.Lag = pl.End - from; pl.Lag < 0 {
			pl.Lag = 0
		}
		out.Total += pl.Lag
		out.Partitions = append(out.Partitions, pl)
	}
	sort.Slice(out.Partitions, func(i, j int) bool {
		a, b := out.Partitions[i], out.Partitions[j]
		if a.Topic != b.Topic {
			return a.Topic < b.Topic
		}
		return a.Partition < b.Partition
	})
	return out, nil
}

type partKey struct {
	topic string
	part  int32
}

func (a *Admin) timeoutMs() int { return int(a.cfg.Timeout().Milliseconds()) }

// committed returns the group's committed offsets. Kafka answers -1 for a
// group that never committed; some brokers answer "group id does not
// exist": both mean none.
func (a *Admin) committed(ctx context.Context, group string) (map[partKey]int64, error) {
	res, err := a.a.ListConsumerGroupOffsets(ctx, []ck.ConsumerGroupTopicPartitions{{Group: group}})
	out := map[partKey]int64{}
	if err != nil {
		if noGroup(err) {
			return out, nil
		}
		return nil, fmt.Errorf("committed offsets of group %q: %w", group, a.cfg.RedactErr(err))
	}
	for _, g := range res.ConsumerGroupsTopicPartitions {
		for _, p := range g.Partitions {
			if p.Error != nil {
				if noGroup(p.Error) {
					continue
				}
				return nil, fmt.Errorf("committed offset of %s[%d]: %w", *p.Topic, p.Partition, p.Error)
			}
			if p.Offset >= 0 && p.Topic != nil {
				out[partKey{*p.Topic, p.Partition}] = int64(p.Offset)
			}
		}
	}
	return out, nil
}

func noGroup(err error) bool {
	if ke, ok := err.(ck.Error); ok && ke.Code() == ck.ErrGroupIDNotFound {
		return true
	}
	return strings.Contains(err.Error(), "group id does not exist") || strings.Contains(err.Error(), "Group id not found")
}

// groupTopics returns the topics the group committed on or is assigned.
func (a *Admin) groupTopics(ctx context.Context, group string, committed map[partKey]int64) ([]string, error) {
	set := map[string]bool{}
	for k := range committed {
		set[k.topic] = true
	}
	res, err := a.a.DescribeConsumerGroups(ctx, []string{group})
	if err == nil {
		for _, g := range res.ConsumerGroupDescriptions {
			for _, m := range g.Members {
				for _, p := range m.Assignment.TopicPartitions {
					if p.Topic != nil {
						set[*p.Topic] = true
					}
				}
			}
		}
	}
	var topics []string
	for t := range set {
		topics = append(topics, t)
	}
	sort.Strings(topics)
	return topics, nil
}

func (a *Admin) listOffsets(ctx context.Context, parts []ck.TopicPartition, spec ck.OffsetSpec) (map[partKey]int64, error) {
	req := make(map[ck.TopicPartition]ck.OffsetSpec, len(parts))
	for _, p := range parts {
		req[p] = spec
	}
	res, err := a.a.ListOffsets(ctx, req, ck.SetAdminIsolationLevel(ck.IsolationLevelReadUncommitted))
	if err != nil {
		return nil, fmt.Errorf("listing offsets: %w", a.cfg.RedactErr(err))
	}
	out := make(map[partKey]int64, len(parts))
	for p, info := range res.ResultInfos {
		if info.Error.Code() != ck.ErrNoError {
			return nil, fmt.Errorf("offsets of %s[%d]: %v", *p.Topic, p.Partition, info.Error)
		}
		out[partKey{*p.Topic, p.Partition}] = int64(info.Offset)
	}
	return out, nil
}

// Metadata is what kcat -L lists: the brokers, and each topic's partitions
// with their leader, replicas and in-sync replicas.
type Metadata struct {
	Brokers []BrokerInfo `json:"brokers"`
	Topics  []TopicInfo  `json:"topics"`
}

// BrokerInfo is one broker of the cluster.
type BrokerInfo struct {
	ID   int32  `json:"id"`
	Addr string `json:"addr"`
}

// TopicInfo is one topic and its partitions.
type TopicInfo struct {
	Topic      string          `json:"topic"`
	Partitions []PartitionInfo `json:"partitions"`
}

// PartitionInfo is one partition: its leader, replicas and in-sync replicas.
type PartitionInfo struct {
	Partition int32   `json:"partition"`
	Leader    int32   `json:"leader"`
	Replicas  []int32 `json:"replicas"`
	ISRs      []int32 `json:"isrs"`
}

// Metadata returns the cluster's brokers and the partitions of topics
// (nil: every topic but the internal ones, whose names start with "__").
func (a *Admin) Metadata(topics []string) (Metadata, error) {
	var out Metadata
	// All topics: asking for one by name may create it.
	md, err := a.a.GetMetadata(nil, true, a.timeoutMs())
	if err != nil {
		return out, fmt.Errorf("metadata: %w", a.cfg.RedactErr(err))
	}
	for _, b := range md.Brokers {
		out.Brokers = append(out.Brokers, BrokerInfo{ID: b.ID, Addr: fmt.Sprintf("%s:%d", b.Host, b.Port)})
	}
	sort.Slice(out.Brokers, func(i, j int) bool { return out.Brokers[i].ID < out.Brokers[j].ID })
	names := topics
	if len(names) == 0 {
		for name := range md.Topics {
			if !strings.HasPrefix(name, "__") {
				names = append(names, name)
			}
		}
		sort.Strings(names)
	}
	for _, name := range names {
		tm, ok := md.Topics[name]
		if !ok || UnknownTopic(&tm) || len(tm.Partitions) == 0 {
			return out, fmt.Errorf("topic %q does not exist", name)
		}
		ti := TopicInfo{Topic: name}
		for _, p := range tm.Partitions {
			ti.Partitions = append(ti.Partitions, PartitionInfo{Partition: p.ID, Leader: p.Leader, Replicas: p.Replicas, ISRs: p.Isrs})
		}
		sort.Slice(ti.Partitions, func(i, j int) bool { return ti.Partitions[i].Partition < ti.Partitions[j].Partition })
		out.Topics = append(out.Topics, ti)
	}
	return out, nil
}
