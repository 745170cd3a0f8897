// WithMeta: an event wrapped with its message's Kafka metadata.

package source

import (
	"strconv"

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
