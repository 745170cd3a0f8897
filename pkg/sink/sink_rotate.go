package sink

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/secpipe/secpipe/pkg/attack"
	"github.com/secpipe/secpipe/pkg/pipeline"
)

// Rotation says when a file sink starts a new file, what becomes of the
// finished ones, and how long they are kept.
type Rotation struct {
	// Every and Size start a new file once the current one has been open
	// that long, or has grown that big (0: no limit); checked at flushes,
	// so that a file ends with whole, acknowledged rows.
	Every time.Duration
	Size  int64
	// Compress is "gzip", "zstd" or "" (none): the finished file is
	// compressed, then the uncompressed one removed.
	Compress string
	// Retain, if set, removes finished files whose time range ended longer
	// ago than that, or moves them into Archive when it is set.
	Retain  time.Duration
	Archive string
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// rotStamp is the layout of the times in finished files' names.
const rotStamp = "20060102T150405Z"

// Rotating writes to a file (its "active" path) and, by Rotation, closes
// it, names it by the time range it was written in
// (tactics.20261207T010000Z-20261207T020000Z.csv.zst), compresses it and
// opens a new one. The active file is never compressed, moved or removed.
type Rotating struct {
	path   string
	format Format
	cat    *attack.Catalog
	rot    Rotation

	cur    Counter
	opened time.Time
	done   Counts // of the finished files
}

// OpenRotating opens path for appending in format f, rotated by rot.
func OpenRotating(path string, f Format, cat *attack.Catalog, rot Rotation) (*Rotating, error) {
	if rot.Now == nil {
		rot.Now = time.Now
	}
	switch rot.Compress {
	case "", "gzip", "zstd":
	default:
		return nil, fmt.Errorf("unknown compression %q (want gzip, zstd or none)", rot.Compress)
	}
	r := &Rotating{path: path, format: f, cat: cat, rot: rot}
	if err := r.open(); err != nil {
		return nil, err
	}
	return r, r.retain()
}

func (r *Rotating) open() error {
	s, err := OpenFile(r.path, r.format, r.cat)
	if err != nil {
		return err
	}
	r.cur, r.opened = s, r.rot.Now()
	return nil
}

// Write implements pipeline.Sink.
func (r *Rotating) Write(ctx context.Context, msgs []pipeline.Message) error {
	return r.cur.Write(ctx, msgs)
}

// Flush implements pipeline.Sink: after the rows are out, the file is
// rotated if it is due.
func (r *Rotating) Flush(ctx context.Context) error {
	if err := r.cur.Flush(ctx); err != nil {
		return err
	}
	due := r.rot.Every > 0 && r.rot.Now().Sub(r.opened) >= r.rot.Every
	if !due && r.rot.Size > 0 {
		if st, err := os.Stat(r.path); err == nil && st.Size() >= r.rot.Size {
			due = true
		}
	}
	if !due || r.cur.Counts().Events == 0 {
		return nil
	}
	return r.rotate()
}

// finishedName is a new name for the file written from start to end; a
// second file of the same range (rotated within a second) gets .2, .3...
func (r *Rotating) finishedName(start, end time.Time) string {
	dir, base := filepath.Split(r.path)
	ext := filepath.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	rng := stem + "." + start.UTC().Format(rotStamp) + "-" + end.UTC().Format(rotStamp)
	for n := 1; ; n++ {
		name := rng
		if n > 1 {
			name += fmt.Sprintf(".%d", n)
		}
		name = filepath.Join(dir, name+ext)
		if !exists(name) && !exists(name+".gz") && !exists(name+".zst") {
			return name
		}
	}
}

func exists(name string) bool {
	_, err := os.Lstat(name)
	return err == nil
}

// rotate closes the active file, renames and compresses it, and opens a
// new one.
func (r *Rotating) rotate() error {
	r.done.plus(r.cur.Counts())
	if err := r.cur.Close(); err != nil {
		return err
	}
	name := r.finishedName(r.opened, r.rot.Now())
	if err := os.Rename(r.path, name); err != nil {
		return err
	}
	if err := compressFile(name, r.rot.Compress); err != nil {
		return err
	}
	if err := r.open(); err != nil {
		return err
	}
	return r.retain()
}

// compressFile replaces name by name.gz or name.zst, synced to disk first.
func compressFile(name, how string) error {
	if how == "" {
		return nil
	}
	ext := map[string]string{"gzip": ".gz", "zstd": ".zst"}[how]
	in, err := os.Open(name)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := name + ext + ".tmp"
	out, err := os.Create(tmp)
	if err != nil {
		return err
	}
	var enc io.WriteCloser
	if how == "gzip" {
		enc = gzip.NewWriter(out)
	} else if enc, err = zstd.NewWriter(out); err != nil {
		out.Close()
		return err
	}
	_, err = io.Copy(enc, in)
	if cerr := enc.Close(); err == nil {
		err = cerr
	}
	if serr := out.Sync(); err == nil {
		err = serr
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, name+ext)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("compressing %s: %w", name, err)
	}
	return os.Remove(name)
}

// Finished lists the finished files of the active path, oldest first,
// with the end of their time range.
func (r *Rotating) Finished() ([]string, []time.Time, error) {
	dir, base := filepath.Split(r.path)
	ext := filepath.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	matches, err := filepath.Glob(filepath.Join(dir, stem+".*-*"+ext+"*"))
	if err != nil {
		return nil, nil, err
	}
	sort.Strings(matches)
	var names []string
	var ends []time.Time
	for _, m := range matches {
		rest := strings.TrimPrefix(filepath.Base(m), stem+".")
		stamps, tail, ok := strings.Cut(rest, ext)
		if !ok || !(tail == "" || tail == ".gz" || tail == ".zst") {
			continue
		}
		from, to, ok := strings.Cut(stamps, "-")
		if !ok {
			continue
		}
		if _, err := time.Parse(rotStamp, from); err != nil {
			continue
		}
		if len(to) < len(rotStamp) {
			continue
		}
		end, err := time.Parse(rotStamp, to[:len(rotStamp)])
		if err != nil {
			continue
		}
		names, ends = append(names, m), append(ends, end)
	}
	return names, ends, nil
}

// retain removes, or moves into the archive folder, the finished files
// whose time range ended more than Retain ago.
func (r *Rotating) retain() error {
	if r.rot.Retain <= 0 {
		return nil
	}
	names, ends, err := r.Finished()
	if err != nil {
		return err
	}
	cutoff := r.rot.Now().Add(-r.rot.Retain)
	for i, name := range names {
		if !ends[i].Before(cutoff) {
			continue
		}
		if r.rot.Archive == "" {
			err = os.Remove(name)
		} else if err = os.MkdirAll(r.rot.Archive, 0o755); err == nil {
			err = moveFile(name, filepath.Join(r.rot.Archive, filepath.Base(name)))
		}
		if err != nil {
			return fmt.Errorf("retaining %s: %w", name, err)
		}
	}
	return nil
}

// moveFile renames from to to, copying across file systems.
func moveFile(from, to string) error {
	if err := os.Rename(from, to); err == nil {
		return nil
	}
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to + ".tmp")
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if serr := out.Sync(); err == nil {
		err = serr
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(to+".tmp", to)
	}
	if err != nil {
		os.Remove(to + ".tmp")
		return err
	}
	return os.Remove(from)
}

// Close implements pipeline.Sink: the active file is closed as it is, to
// be appended to by the next run.
func (r *Rotating) Close() error { return r.cur.Close() }

// Counts implements Counter: what every file of the run took.
func (r *Rotating) Counts() Counts {
	c := r.done
	c.plus(r.cur.Counts())
	return c
}
