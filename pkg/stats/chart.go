package stats

import (
	"fmt"
	"image/color"
	"io"
	"math"
	"path/filepath"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// ChartTitle is the chart's title, the course lab's.
const ChartTitle = "Cybersecurity Events Over Time (MITRE ATT&CK Tactics)"

// Chart size: 18x8 inches, as the lab's figure.
const (
	chartWidth  = 18 * vg.Inch
	chartHeight = 8 * vg.Inch
)

// ChartFormat tells a chart's image format from its file name: "png" or "svg".
func ChartFormat(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".png", ".svg":
		return ext[1:], nil
	}
	return "", fmt.Errorf("cannot tell the image format of %q: use a .png or .svg file", path)
}

// tacticColors colour the 14 Enterprise tactics in kill-chain order: Paul Tol's
// discrete rainbow, colour-blind safe, ordered so that tactics stacked next to
// each other differ most, in normal vision and in each colour-vision deficiency.
var tacticColors = []color.RGBA{
	{0xf1, 0x93, 0x2d, 0xff}, // Reconnaissance
	{0x52, 0x89, 0xc7, 0xff}, // Resource Development
	{0xdc, 0x05, 0x0c, 0xff}, // Initial Access
	{0xd1, 0xbb, 0xd7, 0xff}, // Execution
	{0x19, 0x65, 0xb0, 0xff}, // Persistence
	{0xf6, 0xc1, 0x41, 0xff}, // Privilege Escalation
	{0x7b, 0xaf, 0xde, 0xff}, // Defense Evasion
	{0xf7, 0xf0, 0x56, 0xff}, // Credential Access
	{0x4e, 0xb2, 0x65, 0xff}, // Discovery
	{0x88, 0x2e, 0x72, 0xff}, // Lateral Movement
	{0x90, 0xc9, 0x87, 0xff}, // Collection
	{0xae, 0x76, 0xa3, 0xff}, // Command and Control
	{0xe8, 0x60, 0x1c, 0xff}, // Exfiltration
	{0xca, 0xe0, 0xab, 0xff}, // Impact
}

// otherColors colour tactics the catalog lacks.
var otherColors = []color.RGBA{
	{0x7f, 0x7f, 0x7f, 0xff}, {0xc4, 0x9c, 0x94, 0xff}, {0xdb, 0xdb, 0x8d, 0xff}, {0x9e, 0xda, 0xe5, 0xff}, {0x39, 0x3b, 0x79, 0xff},
}

// maxTickLabels is about the most x tick labels drawn; with more buckets,
// every n-th is labelled.
const maxTickLabels = 36

// maxBars is the most bars a chart draws, about two pixels each: a longer
// timeline is drawn with buckets merged into the next nice size that
// leaves at most maxBars.
const maxBars = 600

// chartTimeline returns the buckets to draw and their size.
func (r *Report) chartTimeline() ([]BucketStat, time.Duration) {
	n := len(r.Timeline)
	if n <= maxBars {
		return r.Timeline, r.BucketSize
	}
	b := int64(r.BucketSize / time.Second)
	first, last := r.Timeline[0].Start.Unix(), r.Timeline[n-1].Start.Unix()
	size := b * int64((n+maxBars-1)/maxBars)
	for _, nb := range niceBuckets {
		if nb >= size && nb%b == 0 && floorDiv(last, nb)-floorDiv(first, nb) < maxBars {
			size = nb
			break
		}
	}
	var out []BucketStat
	key := int64(0)
	for _, m := range r.Timeline {
		k := floorDiv(m.Start.Unix(), size)
		if len(out) == 0 || k != key {
			key = k
			out = append(out, BucketStat{Start: time.Unix(k*size, 0).UTC(), Values: make([]int64, len(r.Columns))})
		}
		for c, v := range m.Values {
			out[len(out)-1].Values[c] += v
		}
	}
	return out, time.Duration(size) * time.Second
}

// Chart draws the timeline as a stacked bar chart of events per tactic
// over time, in the lab's size and title, and writes it to w as "png" or
// "svg". Events without a tactic are left out, as the chart is of tactics.
// More than 600 buckets are merged, k into one bar, as the image has no
// room for more.
func (r *Report) Chart(w io.Writer, format string) error {
	timeline, size := r.chartTimeline()
	p := plot.New()
	p.Title.Text = ChartTitle
	p.Title.TextStyle.Font.Size = 16
	p.Title.Padding = vg.Points(10)
	p.X.Label.Text = "Time (UTC), buckets of " + FormatBucket(size)
	if size != r.BucketSize {
		p.X.Label.Text += " (" + r.Bucket + " buckets merged for the chart)"
	}
	p.Y.Label.Text = "Events"
	p.Y.Min = 0

	n := len(timeline)
	var tactics []int // report columns that are tactics
	for i, c := range r.Columns {
		if c.ID != Unclassified {
			tactics = append(tactics, i)
		}
	}
	legend := plot.NewLegend()
	legend.Top, legend.Left = true, true
	legend.TextStyle.Font = font.From(legend.TextStyle.Font, 11)
	legend.Padding = vg.Points(3)
	if n > 0 && len(tactics) > 0 {
		// Leave about a fifth of each slot between bars.
		plotWidth := chartWidth - 5*vg.Inch
		width := plotWidth / vg.Length(n) * 0.8
		if width < 0.5 {
			width = 0.5
		}
		heights, yMax := stackHeights(timeline, tactics)
		var below *plotter.BarChart
		other := 0
		var entries []plot.Thumbnailer
		for k, col := range tactics {
			bars, err := plotter.NewBarChart(plotter.Values(heights[k]), width)
			if err != nil {
				return err
			}
			bars.LineStyle.Width = 0
			if o := r.Columns[col].Order; o >= 0 && o < len(tacticColors) {
				bars.Color = tacticColors[o]
			} else {
				bars.Color = otherColors[other%len(otherColors)]
				other++
			}
			if below != nil {
				bars.StackOn(below)
			}
			below = bars
			p.Add(bars)
			entries = append(entries, bars)
		}
		// The legend reads top down as the stack does.
		for k := len(tactics) - 1; k >= 0; k-- {
			c := r.Columns[tactics[k]]
			legend.Add(c.ID+" "+c.Name, entries[k])
		}
		p.Y.Max = yMax
	}
	if len(tactics) == 0 {
		p.Title.Text += "\n(no event carries a tactic: run secpipe classify first)"
		p.Y.Max = 1
	}
	// The time axis is drawn even when no bar is.
	if n > 0 {
		p.NominalX(tickLabels(timeline, size)...)
		p.X.Tick.Label.Rotation = math.Pi / 4
		p.X.Tick.Label.XAlign = draw.XRight
		p.X.Tick.Label.YAlign = draw.YCenter
		p.X.Min, p.X.Max = -0.6, float64(n)-0.4
		p.Y.Padding = 0
	}

	c, err := newCanvas(format)
	if err != nil {
		return err
	}
	dc := draw.New(c)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	legendWidth := vg.Length(0)
	if len(tactics) > 0 {
		lr := legend.Rectangle(dc)
		legendWidth = lr.Max.X - lr.Min.X + vg.Points(24)
	}
	// The left margin leaves room for the first slanted time label.
	p.Draw(draw.Crop(dc, vg.Inch/2, -legendWidth, 0, 0))
	if len(tactics) > 0 {
		area := draw.Crop(dc, chartWidth-legendWidth+vg.Points(12), 0, 0, -vg.Points(48))
		legend.Draw(area)
	}
	_, err = c.WriteTo(w)
	return err
}

// headroom is the share of the tallest bar left free above it.
const headroom = 0.08

// minVisible is the least height drawn for a tactic's non-zero count, as a
// share of the y axis: about 2 pixels of the PNG, so that a bucket of one
// event among thousands shows.
const minVisible = 1.0 / 250

// stackHeights returns the heights to draw for each tactic column (by
// tactics) and bucket, and the y axis maximum: counts, each non-zero one
// raised to minVisible of the axis, and headroom above the tallest stack.
func stackHeights(timeline []BucketStat, tactics []int) ([][]float64, float64) {
	top := 0.0
	for _, b := range timeline {
		sum := 0.0
		for _, col := range tactics {
			sum += float64(b.Values[col])
		}
		top = max(top, sum)
	}
	floor := top * minVisible
	heights := make([][]float64, len(tactics))
	stacked := 0.0
	for k, col := range tactics {
		heights[k] = make([]float64, len(timeline))
		for i, b := range timeline {
			if v := float64(b.Values[col]); v > 0 {
				heights[k][i] = max(v, floor)
			}
		}
	}
	for i := range timeline {
		sum := 0.0
		for k := range tactics {
			sum += heights[k][i]
		}
		stacked = max(stacked, sum)
	}
	if stacked == 0 {
		return heights, 1
	}
	return heights, stacked * (1 + headroom)
}

// tickLabels labels about maxTickLabels buckets; a label gives the date only
// where it changes, the time of day otherwise.
func tickLabels(timeline []BucketStat, size time.Duration) []string {
	labels := make([]string, len(timeline))
	step := (len(timeline) + maxTickLabels - 1) / maxTickLabels
	day := ""
	for i, b := range timeline {
		if i%step != 0 {
			continue
		}
		full := bucketLabel(b.Start, size)
		d, clock, ok := strings.Cut(full, " ")
		if ok && d == day {
			full = clock
		}
		day = d
		labels[i] = full
	}
	return labels
}

func newCanvas(format string) (vg.CanvasWriterTo, error) {
	switch format {
	case "png":
		return vgimg.PngCanvas{Canvas: vgimg.New(chartWidth, chartHeight)}, nil
	case "svg":
		return vgsvg.New(chartWidth, chartHeight), nil
	}
	return nil, fmt.Errorf("unsupported chart format %q (want png or svg)", format)
}
