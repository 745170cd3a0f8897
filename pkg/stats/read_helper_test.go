package stats

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/secpipe/secpipe/pkg/event"
	"github.com/secpipe/secpipe/pkg/format"
	"github.com/secpipe/secpipe/pkg/pipeline"
)

// Read adds the events of one input in any format secpipe reads,
// recognised from its content, to a through a Sink, as the command's
// pipeline does; bad records go to rejects. For tests and benchmarks.
func (a *Agg) Read(ctx context.Context, r io.Reader, name string, rejects *pipeline.Rejects) error {
	s := NewSink(a, rejects)
	defer s.Close()
	rd, _, err := format.Open(r, format.Auto, format.Options{Name: name})
	if err != nil {
		return err
	}
	if c, ok := rd.(io.Closer); ok {
		defer c.Close()
	}
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		rec, err := rd.Next()
		var bad *event.BadRecordError
		switch {
		case err == io.EOF:
			return nil
		case errors.As(err, &bad):
			if err := s.rejects.Reject(bad, bad.Raw); err != nil {
				return err
			}
			continue
		case err != nil:
			return fmt.Errorf("reading %s: %w", name, err)
		}
		msg := pipeline.Message{Value: rec.Raw, Origin: pipeline.Origin{Input: rec.Input, Line: rec.Line, Offset: -1}}
		if err := s.add(&msg); err != nil {
			return err
		}
	}
}
