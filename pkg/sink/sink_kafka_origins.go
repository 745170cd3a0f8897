package sink

import (
	"hash/maphash"
	"sync"

	"github.com/secpipe/secpipe/pkg/pipeline"
)

// maxOrigins bounds the origins kept between two moments the producer's
// queue is empty; past it, refused messages are named by the topic alone.
const maxOrigins = 1 << 20

// origins remembers where the messages in the producer's queue came from,
// so that a refused one can be named by its input and line when only
// failures are reported (delivery.report.only.error). A message cannot
// carry its origin through librdkafka then: confluent-kafka-go keeps a
// message's Opaque in a map until its report, and an acknowledged message
// has none, so every entry would stay. Instead a failure report brings the
// message's value back, and its hash finds the origin. Each message costs a
// hash of its value and a slot, reused once the queue is empty (reset).
type origins struct {
	mu     sync.Mutex
	seed   maphash.Seed
	sent   []sentOrigin
	byHash map[uint64][]int32 // the unclaimed slots per hash, built at the first failure
}

type sentOrigin struct {
	hash   uint64
	origin pipeline.Origin
}

func newOrigins() *origins { return &origins{seed: maphash.MakeSeed()} }

// add records the origin of m, about to be produced, and reports whether
// it did.
func (o *origins) add(m *pipeline.Message) bool {
	h := maphash.Bytes(o.seed, m.Value)
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.sent) >= maxOrigins {
		return false
	}
	if o.byHash != nil {
		o.byHash[h] = append(o.byHash[h], int32(len(o.sent)))
	}
	o.sent = append(o.sent, sentOrigin{hash: h, origin: m.Origin})
	return true
}

// unadd forgets the origin added last: the client refused the message
// before queueing it.
func (o *origins) unadd() {
	o.mu.Lock()
	defer o.mu.Unlock()
	last := o.sent[len(o.sent)-1]
	if slots := o.byHash[last.hash]; len(slots) > 0 && int(slots[len(slots)-1]) == len(o.sent)-1 {
		o.byHash[last.hash] = slots[:len(slots)-1]
	}
	o.sent = o.sent[:len(o.sent)-1]
}

// claim returns the origin of a refused message whose value is value: the
// earliest one recorded with that value not claimed yet.
func (o *origins) claim(value []byte, topic string) pipeline.Origin {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.byHash == nil {
		o.byHash = make(map[uint64][]int32)
		for i, s := range o.sent {
			o.byHash[s.hash] = append(o.byHash[s.hash], int32(i))
		}
	}
	h := maphash.Bytes(o.seed, value)
	if slots := o.byHash[h]; len(slots) > 0 {
		o.byHash[h] = slots[1:]
		return o.sent[slots[0]].origin
	}
	return pipeline.Origin{Input: "a message to " + topic, Offset: -1}
}

// reset forgets every origin: the queue is empty, each message was
// acknowledged or its failure claimed.
func (o *origins) reset() {
	o.mu.Lock()
	defer o.mu.Unlock()
	clear(o.sent) // drop the inputs' names
	o.sent = o.sent[:0]
	o.byHash = nil
}
