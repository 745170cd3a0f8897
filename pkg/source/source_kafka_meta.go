// WithMeta and KcatJSON: an event wrapped with its message's Kafka metadata.

package source

import (
	"strconv"
	"time"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/secpipe/secpipe/pkg/event"
	"github.com/secpipe/secpipe/pkg/pipeline"
)

// appendMeta wraps value with the message's metadata, in b's storage.
func appendMeta(b *pipeline.Batch, m *ck.Message, o pipeline.Origin, value []byte) []byte {
	size := 128 + len(o.Input) + 2*len(m.Key) + len(value)
	for _, h := range m.Headers {
		size += len(h.Key) + 2*len(h.Value) + 8
	}
	buf := b.Alloc(size)[:0]
	buf = append(buf, `{"topic":`...)
	buf = event.AppendString(buf, o.Input)
	buf = append(buf, `,"partition":`...)
	buf = strconv.AppendInt(buf, int64(o.Partition), 10)
	buf = append(buf, `,"offset":`...)
	buf = strconv.AppendInt(buf, o.Offset, 10)
	buf = append(buf, `,"key":`...)
	if m.Key == nil {
		buf = append(buf, "null"...)
	} else {
		buf = event.AppendString(buf, string(m.Key))
	}
	buf = append(buf, `,"headers":{`...)
	for i, h := range m.Headers {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = event.AppendString(buf, h.Key)
		buf = append(buf, ':')
		buf = event.AppendString(buf, string(h.Value))
	}
	buf = append(buf, `},"timestamp":`...)
	if m.Timestamp.IsZero() || m.TimestampType == ck.TimestampNotAvailable {
		buf = append(buf, "null"...)
	} else {
		buf = append(buf, '"')
		buf = m.Timestamp.UTC().AppendFormat(buf, "2006-01-02T15:04:05.000Z07:00")
		buf = append(buf, '"')
	}
	buf = append(buf, `,"value":`...)
	buf = append(buf, value...)
	return append(buf, '}')
}

// appendKcat wraps a message as kcat -J prints it, member for member:
//
//	{"topic":"t","partition":0,"offset":0,"tstype":"create","ts":MS,"broker":0,
//	 "headers":["k","v"],"key":"k","payload":"{\"a\":1}"}
//
// headers is left out when the message has none; key is null when absent;
// broker is the partition's leader (-1: not known).
func appendKcat(b *pipeline.Batch, m *ck.Message, o pipeline.Origin, broker int32) []byte {
	size := 160 + len(o.Input) + 2*len(m.Key) + 2*len(m.Value)
	for _, h := range m.Headers {
		size += 2*len(h.Key) + 2*len(h.Value) + 8
	}
	buf := b.Alloc(size)[:0]
	buf = append(buf, `{"topic":`...)
	buf = event.AppendString(buf, o.Input)
	buf = append(buf, `,"partition":`...)
	buf = strconv.AppendInt(buf, int64(o.Partition), 10)
	buf = append(buf, `,"offset":`...)
	buf = strconv.AppendInt(buf, o.Offset, 10)
	switch m.TimestampType {
	case ck.TimestampCreateTime:
		buf = append(buf, `,"tstype":"create","ts":`...)
	case ck.TimestampLogAppendTime:
		buf = append(buf, `,"tstype":"logappend","ts":`...)
	default:
		buf = append(buf, `,"tstype":"unknown","ts":`...)
	}
	buf = strconv.AppendInt(buf, kcatMillis(m.Timestamp), 10)
	buf = append(buf, `,"broker":`...)
	buf = strconv.AppendInt(buf, int64(broker), 10)
	if len(m.Headers) > 0 {
		buf = append(buf, `,"headers":[`...)
		for i, h := range m.Headers {
			if i > 0 {
				buf = append(buf, ',')
			}
			buf = event.AppendString(buf, h.Key)
			buf = append(buf, ',')
			if h.Value == nil {
				buf = append(buf, "null"...)
			} else {
				buf = event.AppendString(buf, string(h.Value))
			}
		}
		buf = append(buf, ']')
	}
	buf = append(buf, `,"key":`...)
	if m.Key == nil {
		buf = append(buf, "null"...)
	} else {
		buf = event.AppendString(buf, string(m.Key))
	}
	buf = append(buf, `,"payload":`...)
	buf = event.AppendString(buf, string(m.Value))
	return append(buf, '}')
}

func kcatMillis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// leader returns the leader of a partition, for KcatJSON, looking each
// topic up once.
func (k *Kafka) leader(t tp) int32 {
	if id, ok := k.leaders[t]; ok {
		return id
	}
	if k.leaders == nil {
		k.leaders = map[tp]int32{}
	}
	topic := t.topic
	if md, err := k.c.GetMetadata(&topic, false, 1000); err == nil {
		for _, p := range md.Topics[topic].Partitions {
			k.leaders[tp{topic, p.ID}] = p.Leader
		}
	}
	if _, ok := k.leaders[t]; !ok {
		k.leaders[t] = -1
	}
	return k.leaders[t]
}
