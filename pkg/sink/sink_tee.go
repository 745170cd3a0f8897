package sink

import (
	"context"
	"errors"

	"github.com/secpipe/secpipe/pkg/pipeline"
)

// Tee returns a sink that writes every message to each of sinks: a Flush
// returns once all of them delivered, so the input is acknowledged only
// then.
func Tee(sinks ...pipeline.Sink) pipeline.Sink {
	if len(sinks) == 1 {
		return sinks[0]
	}
	return tee(sinks)
}

type tee []pipeline.Sink

func (t tee) Write(ctx context.Context, msgs []pipeline.Message) error {
	for _, s := range t {
		if err := s.Write(ctx, msgs); err != nil {
			return err
		}
	}
	return nil
}

func (t tee) Flush(ctx context.Context) error {
	for _, s := range t {
		if err := s.Flush(ctx); err != nil {
			return err
		}
	}
	return nil
}

func (t tee) Close() error {
	var errs []error
	for _, s := range t {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}
