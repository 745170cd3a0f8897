package cli

import (
	"os"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/secpipe/secpipe/pkg/pipeline"
)

// progress is a progress bar on stderr for long runs: events or bytes
// against a known total, or a running count with its rate. It is shown
// only when stderr is a terminal, and cleared before the summary line.
type progress struct {
	bar   *progressbar.ProgressBar
	bytes bool // counts input bytes, not events
}

// newProgress returns a bar for a run of total events (bytes with bytes
// set; total <= 0: not known), or nil when stderr is not a terminal.
func newProgress(env *Env, prog string, total int64, bytes bool) *progress {
	if env.IsTerminal == nil || !env.IsTerminal(env.Stderr) {
		return nil
	}
	if total <= 0 {
		total = -1
	}
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(env.Stderr),
		progressbar.OptionSetDescription(prog),
		progressbar.OptionThrottle(200 * time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionShowCount(),
	}
	if bytes {
		opts = append(opts, progressbar.OptionShowBytes(true))
	} else {
		opts = append(opts, progressbar.OptionShowIts(), progressbar.OptionSetItsString("events"))
	}
	bar := progressbar.NewOptions64(total, opts...)
	bar.StartWithoutRender() // the rate counts from now, not from the first batch
	return &progress{bar: bar, bytes: bytes}
}

// Batch implements pipeline.Observer.
func (p *progress) Batch(in, _ []pipeline.Message, _ time.Duration) {
	if !p.bytes {
		p.add(len(in))
		return
	}
	n := 0
	for i := range in {
		n += len(in[i].Value) + len(in[i].Row) + 1 // the line as read, about
		if p := in[i].Parts; p != nil {
			n += int(p.Size())
		}
	}
	p.add(n)
}

// add counts n more events or bytes; it may be called from several
// goroutines at once.
func (p *progress) add(n int) { p.bar.Add(n) }

// finish clears the bar.
func (p *progress) finish() {
	p.bar.Finish()
	p.bar.Exit()
}

// inputSize returns the total size of the named files, or -1 when one is
// stdin or not a regular file.
func inputSize(files []string) int64 {
	if len(files) == 0 {
		return -1
	}
	var total int64
	for _, name := range files {
		st, err := os.Stat(name)
		if name == "-" || err != nil || !st.Mode().IsRegular() {
			return -1
		}
		total += st.Size()
	}
	return total
}
