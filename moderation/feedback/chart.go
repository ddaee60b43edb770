package feedback

import (
	"fmt"
	"strings"

	"github.com/doithoai/doithoai/moderation"
)

// Charts are drawn on the server as inline SVG: no script, no chart
// library, a few hundred bytes each, printable, and readable on a phone
// (the viewBox scales to the screen). The types below carry the geometry
// the templates draw.

// channelColors gives every channel the same color in every chart.
var channelColors = map[moderation.Source]string{
	moderation.SourceForumQuestion:    "#0b5cad",
	moderation.SourceForumReply:       "#6aa2dc",
	moderation.SourceReport:           "#a12222",
	moderation.SourceChatConversation: "#1d7a3a",
	moderation.SourceLiveQuestion:     "#c77d00",
	moderation.SourceHotlineTicket:    "#6b3fa0",
}

// channelPatterns overlays each channel's color with its own texture, so
// the channels stay apart for readers who do not tell the colors apart
// and on a black-and-white print. The ids are the <pattern>s of the
// "patterns" template; "" is plain.
var channelPatterns = map[moderation.Source]string{
	moderation.SourceForumReply:       "pat-diag",
	moderation.SourceReport:           "pat-cross",
	moderation.SourceChatConversation: "pat-dots",
	moderation.SourceLiveQuestion:     "pat-horiz",
	moderation.SourceHotlineTicket:    "pat-vert",
}

// Bar is one labelled horizontal bar.
type Bar struct {
	Label   string
	Count   int
	Y       int     // top of the row
	W       float64 // bar width in viewBox units
	Color   string
	Pattern string // texture id over the color, "" for none
}

// BarChart is a breakdown as horizontal bars, each under its label, so
// long province names fit on a narrow screen.
type BarChart struct {
	Bars   []Bar
	Width  int
	Height int
	Other  int // items in breakdown keys past the limit
}

const (
	barRow   = 30  // height of a label + bar row
	barWidth = 300 // widest bar
)

// NewBarChart draws the first limit counts (largest first), label names
// each key for people.
func NewBarChart(counts []Count, limit int, label func(string) string, color func(string) string, pattern ...func(string) string) BarChart {
	c := BarChart{Width: barWidth + 50}
	max := 0
	for _, x := range counts {
		if x.Count > max {
			max = x.Count
		}
	}
	for i, x := range counts {
		if i >= limit {
			c.Other += x.Count
			continue
		}
		w := 0.0
		if max > 0 {
			w = float64(x.Count) / float64(max) * barWidth
		}
		if x.Count > 0 && w < 2 {
			w = 2
		}
		col := "#0b5cad"
		if color != nil {
			col = color(x.Key)
		}
		b := Bar{Label: label(x.Key), Count: x.Count, Y: len(c.Bars) * barRow, W: round1(w), Color: col}
		if len(pattern) > 0 {
			b.Pattern = pattern[0](x.Key)
		}
		c.Bars = append(c.Bars, b)
	}
	c.Height = len(c.Bars)*barRow + 4
	return c
}

// Column is one bucket of the trend chart: stacked segments by channel.
type Column struct {
	X        float64
	Segments []Segment
	Label    string // shown under every few columns
	Title    string // tooltip: the bucket and its total
	Total    int    // written above the column
	TopY     float64
}

// Segment is one channel's part of a column.
type Segment struct {
	Y, H    float64
	Color   string
	Pattern string
}

// TrendChart is arrivals over time, stacked by channel, with the answered
// ones as a line.
type TrendChart struct {
	Columns  []Column
	ColW     float64
	BarW     float64 // a column's bar, narrower than its slot
	LabelY   int     // baseline of the date labels
	Left     int     // x of the axis
	Answered string  // polyline points
	Max      int
	Width    int
	Height   int
	Base     float64 // y of the axis
	Legend   []LegendEntry
}

// LegendEntry names a color.
type LegendEntry struct {
	Label   string
	Color   string
	Pattern string
}

// NewTrendChart draws points; label names a channel, dateLabel a bucket.
func NewTrendChart(points []TrendPoint, label func(string) string, dateLabel func(TrendPoint) string) TrendChart {
	// As wide as the page: the viewBox is twice the old one, so that the
	// text keeps its size when the chart fills the dashboard's width.
	const w, h, top, bottom, left = 800, 200, 16, 22, 26
	c := TrendChart{Width: w, Height: h, Base: h - bottom, LabelY: h - 8, Left: left}
	for _, p := range points {
		if p.Total > c.Max {
			c.Max = p.Total
		}
	}
	scale := 0.0
	if c.Max > 0 {
		scale = float64(h-top-bottom) / float64(c.Max)
	}
	n := len(points)
	if n == 0 {
		return c
	}
	c.ColW = round1(float64(w-left) / float64(n))
	c.BarW = round1(c.ColW * 0.8)
	every := (n + 5) / 6 // at most about six date labels
	var line []string
	for i, p := range points {
		col := Column{X: round1(left + float64(i)*c.ColW), Title: fmt.Sprintf("%s: %d", dateLabel(p), p.Total), Total: p.Total}
		if i%every == 0 {
			col.Label = dateLabel(p)
		}
		y := c.Base
		for _, src := range moderation.Sources {
			v := p.ByChannel[string(src)]
			if v == 0 {
				continue
			}
			hh := float64(v) * scale
			y -= hh
			col.Segments = append(col.Segments, Segment{Y: round1(y), H: round1(hh), Color: channelColors[src], Pattern: channelPatterns[src]})
		}
		col.TopY = round1(y - 3)
		c.Columns = append(c.Columns, col)
		line = append(line, fmt.Sprintf("%.1f,%.1f", col.X+c.ColW/2, c.Base-float64(p.Answered)*scale))
	}
	c.Answered = strings.Join(line, " ")
	for _, src := range moderation.Sources {
		c.Legend = append(c.Legend, LegendEntry{Label: label(string(src)), Color: channelColors[src], Pattern: channelPatterns[src]})
	}
	return c
}

func round1(f float64) float64 { return float64(int(f*10+0.5)) / 10 }
