package stats

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strings"
	"testing"

	"github.com/secpipe/secpipe/pkg/attack"
)

// A day and a half of hourly buckets: a thousand Execution events at
// 07:00, one Impact event at 09:00 and one Credential Access event the
// next day.
func readableReport(t *testing.T) *Report {
	var events [][]byte
	for i := 0; i < 1000; i++ {
		events = append(events, classified(fmt.Sprintf("x%d", i), "2026-01-15T07:00:00Z", "h", "u", "10.0.0.1", th([]string{"TA0002"}, []string{"T1059.001"})))
	}
	events = append(events,
		classified("i1", "2026-01-15T09:00:00Z", "h", "u", "10.0.0.1", th([]string{"TA0040"}, []string{"T1486"})),
		classified("c1", "2026-01-16T10:00:00Z", "h", "u", "10.0.0.1", th([]string{"TA0006"}, []string{"T1110.001"})))
	return readCSVBytes(t, storeCSV(events...), 3600, nil)
}

func TestChartReadable(t *testing.T) {
	r := readableReport(t)
	var tactics []int
	for i, c := range r.Columns {
		if c.ID != Unclassified {
			tactics = append(tactics, i)
		}
	}
	heights, yMax := stackHeights(r.Timeline, tactics)
	if yMax < 1050 {
		t.Errorf("y axis ends at %v: no headroom above the bar of 1000", yMax)
	}
	impact := heights[len(tactics)-1][2] // TA0040 at 09:00
	if impact < yMax/300 {
		t.Errorf("a bucket of one event is %v high of %v: invisible", impact, yMax)
	}

	labels := tickLabels(r.Timeline, r.BucketSize)
	joined := strings.Join(labels, "|")
	if strings.Count(joined, "2026-01-15") != 1 || strings.Count(joined, "2026-01-16") != 1 || !strings.Contains(joined, "|08:00|") {
		t.Errorf("tick labels repeat the date, or lack it: %q", labels)
	}

	var svg bytes.Buffer
	if err := r.Chart(&svg, "svg"); err != nil {
		t.Fatal(err)
	}
	// Impact is stacked on top, Execution at the bottom: so is the legend.
	s := svg.String()
	top, mid, bottom := strings.Index(s, "TA0040 Impact"), strings.Index(s, "TA0006 Credential Access"), strings.Index(s, "TA0002 Execution")
	if top < 0 || mid < 0 || bottom < 0 || !(top < mid && mid < bottom) {
		t.Errorf("legend order: Impact at %d, Credential Access at %d, Execution at %d", top, mid, bottom)
	}
}

// The tactic colours stay apart in normal vision and when simulated for
// deuteranopia, protanopia and tritanopia (Machado et al. 2009): any two by
// a CIE76 distance of 10, tactics next to each other in the kill chain by 30.
func TestTacticColorsStayApart(t *testing.T) {
	sims := map[string]*[3][3]float64{
		"normal":       nil,
		"deuteranopia": {{0.367322, 0.860646, -0.227968}, {0.280085, 0.672501, 0.047413}, {-0.011820, 0.042940, 0.968881}},
		"protanopia":   {{0.152286, 1.052583, -0.204868}, {0.114503, 0.786281, 0.099216}, {-0.003882, -0.048116, 1.051998}},
		"tritanopia":   {{1.255528, -0.076749, -0.178779}, {-0.078411, 0.930809, 0.147602}, {0.004733, 0.691367, 0.303900}},
	}
	for name, m := range sims {
		lab := make([][3]float64, len(tacticColors))
		for i, c := range tacticColors {
			lab[i] = toLab(c, m)
		}
		for i := range lab {
			for j := i + 1; j < len(lab); j++ {
				d := math.Sqrt(sq(lab[i][0]-lab[j][0]) + sq(lab[i][1]-lab[j][1]) + sq(lab[i][2]-lab[j][2]))
				if d < 10 || j == i+1 && d < 30 {
					t.Errorf("%s: tactics %d and %d are %.1f apart", name, i, j, d)
				}
			}
		}
	}
}

func sq(x float64) float64 { return x * x }

// toLab converts an sRGB colour to CIELAB (D65), through the simulation
// matrix m on linear RGB when m is not nil.
func toLab(c color.RGBA, m *[3][3]float64) [3]float64 {
	lin := func(v uint8) float64 {
		f := float64(v) / 255
		if f <= 0.04045 {
			return f / 12.92
		}
		return math.Pow((f+0.055)/1.055, 2.4)
	}
	rgb := [3]float64{lin(c.R), lin(c.G), lin(c.B)}
	if m != nil {
		var out [3]float64
		for i := range out {
			out[i] = min(1, max(0, m[i][0]*rgb[0]+m[i][1]*rgb[1]+m[i][2]*rgb[2]))
		}
		rgb = out
	}
	x := (0.4124*rgb[0] + 0.3576*rgb[1] + 0.1805*rgb[2]) / 0.95047
	y := 0.2126*rgb[0] + 0.7152*rgb[1] + 0.0722*rgb[2]
	z := (0.0193*rgb[0] + 0.1192*rgb[1] + 0.9505*rgb[2]) / 1.08883
	f := func(t float64) float64 {
		if t > 0.008856 {
			return math.Cbrt(t)
		}
		return 7.787*t + 16.0/116
	}
	return [3]float64{116*f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))}
}

// The layer colours a long tail on a log scale: a technique of one event is
// coloured, not white beside one of a thousand, and its comment says
// "1 event".
func TestNavigatorLogScale(t *testing.T) {
	l := readableReport(t).Navigator(attack.Default())
	colors := map[string]string{}
	comments := map[string]string{}
	for _, te := range l.Techniques {
		if te.Score != nil {
			colors[te.TechniqueID], comments[te.TechniqueID] = te.Color, te.Comment
		}
	}
	one, many := colors["T1486"], colors["T1059.001"]
	if one == "" || one == many || strings.EqualFold(one, "#ffffff") {
		t.Errorf("colours: 1 event %q, 1000 events %q", one, many)
	}
	if comments["T1486"] != "1 event" || comments["T1059.001"] != "1000 events" {
		t.Errorf("comments %q", comments)
	}
	var legend []string
	for _, it := range l.LegendItems {
		legend = append(legend, it.Label)
	}
	if strings.Join(legend, ",") != "1 event,10 events,100 events,1000 events" {
		t.Errorf("legend %q", legend)
	}
}
