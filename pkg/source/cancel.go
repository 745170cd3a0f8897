package source

import (
	"context"
	"io"
)

// NewCancelReader returns a reader of r whose Read returns ctx.Err() as soon
// as ctx is done, even while r is blocked (a terminal or a pipe whose writer
// is idle). Reads happen on a goroutine of their own, one chunk ahead; a read
// blocked at cancellation is abandoned with its goroutine.
func NewCancelReader(ctx context.Context, r io.Reader) io.Reader {
	c := &cancelReader{ctx: ctx, chunks: make(chan chunk, 1), free: make(chan []byte, 2)}
	c.free <- make([]byte, 256<<10)
	c.free <- make([]byte, 256<<10)
	go c.loop(r)
	return c
}

type chunk struct {
	data []byte
	err  error
}

type cancelReader struct {
	ctx    context.Context
	chunks chan chunk
	free   chan []byte
	cur    []byte // unread part of the current chunk
	buf    []byte // the current chunk's buffer, to return to free
	err    error
}

func (c *cancelReader) loop(r io.Reader) {
	for {
		var buf []byte
		select {
		case buf = <-c.free:
		case <-c.ctx.Done():
			return
		}
		n, err := r.Read(buf[:cap(buf)])
		select {
		case c.chunks <- chunk{data: buf[:n], err: err}:
		case <-c.ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

// Ready implements event.Ready: a chunk is at hand, or the read failed.
func (c *cancelReader) Ready() bool {
	return len(c.cur) > 0 || len(c.chunks) > 0 || c.err != nil
}

func (c *cancelReader) Read(p []byte) (int, error) {
	for len(c.cur) == 0 {
		if c.buf != nil {
			c.free <- c.buf
			c.buf = nil
		}
		if c.err != nil {
			return 0, c.err
		}
		select {
		case <-c.ctx.Done():
			return 0, c.ctx.Err()
		case ch := <-c.chunks:
			c.buf, c.cur, c.err = ch.data, ch.data, ch.err
		}
	}
	n := copy(p, c.cur)
	c.cur = c.cur[n:]
	return n, nil
}
