// Package render writes secpipe's reports: tables as aligned text (with
// tablewriter), Markdown or CSV, and any value as JSON. Every command that
// prints a report goes through here, so the formats agree everywhere.
package render

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/secpipe/secpipe/pkg/store"
)

// Format is an output format for reports.
type Format string

// The report formats.
const (
	Text     Format = "table"
	Markdown Format = "markdown"
	CSV      Format = "csv"
	JSON     Format = "json"
)

// Formats lists the accepted format names, for help texts.
const Formats = "table|json|csv|markdown"

// ParseFormat checks a format name.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case Text, Markdown, CSV, JSON:
		return f, nil
	case "text":
		return Text, nil
	case "md":
		return Markdown, nil
	}
	return "", fmt.Errorf("unknown format %q (want %s)", s, Formats)
}

// Table is a titled grid of cells.
type Table struct {
	Title  string
	Header []string
	Rows   [][]string
	// Right lists the columns aligned right in text output (numbers).
	Right []int
}

// Tables writes tables in a text format: Text, Markdown or CSV. In CSV, a
// table's title goes on a line of its own before it and tables are
// separated by a blank line, so that one table alone is plain CSV.
func Tables(w io.Writer, f Format, tables ...Table) error {
	for i, t := range tables {
		if i > 0 {
			if _, err := io.WriteString(w, "\n"); err != nil {
				return err
			}
		}
		var err error
		switch f {
		case CSV:
			err = writeCSV(w, t, len(tables) > 1)
		case Markdown:
			err = writeTable(w, t, true)
		default:
			err = writeTable(w, t, false)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func writeTable(w io.Writer, t Table, markdown bool) error {
	if t.Title != "" {
		title := t.Title
		if markdown {
			title = "### " + title
		}
		if _, err := fmt.Fprintf(w, "%s\n", title); err != nil {
			return err
		}
		if markdown {
			io.WriteString(w, "\n")
		}
	}
	align := make([]tw.Align, len(t.Header))
	for i := range align {
		align[i] = tw.AlignLeft
	}
	for _, c := range t.Right {
		if c < len(align) {
			align[c] = tw.AlignRight
		}
	}
	opts := []tablewriter.Option{
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignmentConfig(tw.CellAlignment{PerColumn: align}),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
	}
	if markdown {
		opts = append(opts, tablewriter.WithRenderer(renderer.NewMarkdown()))
	}
	header, rows := t.Header, t.Rows
	if markdown {
		header, rows = markdownCells([][]string{header})[0], markdownCells(rows)
	}
	tbl := tablewriter.NewTable(w, opts...)
	tbl.Header(header)
	if err := tbl.Bulk(rows); err != nil {
		return err
	}
	return tbl.Render()
}

func writeCSV(w io.Writer, t Table, titled bool) error {
	if titled && t.Title != "" {
		if _, err := fmt.Fprintf(w, "# %s\n", t.Title); err != nil {
			return err
		}
	}
	return writeCSVRows(w, append([][]string{t.Header}, t.Rows...))
}

func writeCSVRows(w io.Writer, rows [][]string) error {
	// Cells go through store.AppendCell, as store's CSV does, so that an
	// event value such as =cmd|' /C calc'!A0 reaches a spreadsheet as text.
	var line []byte
	for _, row := range rows {
		line = line[:0]
		for i, c := range row {
			if i > 0 {
				line = append(line, ',')
			}
			line = store.AppendCell(line, []byte(c))
		}
		if _, err := w.Write(append(line, '\n')); err != nil {
			return err
		}
	}
	return nil
}

// mdEscaper keeps a value in its Markdown table cell: a '|' would end the
// cell and a line break the row.
var mdEscaper = strings.NewReplacer("|", `\|`, "\r\n", " ", "\n", " ", "\r", " ")

// markdownCells returns rows with each cell escaped for a Markdown table.
func markdownCells(rows [][]string) [][]string {
	out := make([][]string, len(rows))
	for i, row := range rows {
		out[i] = make([]string, len(row))
		for j, c := range row {
			out[i][j] = mdEscaper.Replace(c)
		}
	}
	return out
}

// WriteJSON writes v as indented JSON and a newline.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
