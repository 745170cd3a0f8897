package pipeline

// Batch is a reusable set of messages, with storage for bytes that must
// outlive the buffers they came from.
type Batch struct {
	Msgs []Message
	// Limit caps the messages a source adds in one Read.
	Limit int
	// More is set by a source when more input is ready at once.
	More bool
	// Prepared is a Preparer's, for what its messages' Prepared point to:
	// it stays with the batch, to be reused once the batch is read again.
	Prepared any

	chunks [][]byte // arena; earlier chunks stay valid while later ones fill
	cur    int
}

// Reset empties the batch, keeping its storage.
func (b *Batch) Reset() {
	b.Msgs = b.Msgs[:0]
	b.More = false
	for i := range b.chunks {
		b.chunks[i] = b.chunks[i][:0]
	}
	b.cur = 0
}

// Full reports whether the batch reached its limit.
func (b *Batch) Full() bool { return b.Limit > 0 && len(b.Msgs) >= b.Limit }

// Add appends a message as it is.
func (b *Batch) Add(m Message) { b.Msgs = append(b.Msgs, m) }

// Copy returns a copy of p held by the batch until its next Reset.
func (b *Batch) Copy(p []byte) []byte {
	buf := b.Alloc(len(p))
	copy(buf, p)
	return buf
}

// Alloc returns n bytes held by the batch until its next Reset.
func (b *Batch) Alloc(n int) []byte {
	for b.cur < len(b.chunks) {
		c := b.chunks[b.cur]
		if cap(c)-len(c) >= n {
			b.chunks[b.cur] = c[:len(c)+n]
			return c[len(c) : len(c)+n : len(c)+n]
		}
		b.cur++
	}
	size := 256 << 10
	if n > size {
		size = n
	}
	c := make([]byte, n, size)
	b.chunks = append(b.chunks, c)
	return c[:n:n]
}
