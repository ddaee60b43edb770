package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/doithoai/doithoai/moderation"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// What the generated queue looks like: a year of items from every channel,
// mostly from the northern mountain provinces, mostly answered, some late.
var (
	sources = []struct {
		src    moderation.Source
		weight int
	}{{moderation.SourceForumQuestion, 40}, {moderation.SourceHotlineTicket, 30}, {moderation.SourceChatConversation, 12},
		{moderation.SourceForumReply, 8}, {moderation.SourceLiveQuestion, 6}, {moderation.SourceReport, 4}}
	categories = []string{"dat-dai", "chinh-sach-xa-hoi", "giao-thong-ha-tang", "y-te-giao-duc", "nong-nghiep", "moi-truong",
		"lao-dong-viec-lam", "an-ninh-trat-tu", "dien-nuoc", "ho-tich", "dan-toc-ton-giao", "khac"}
	provinces = []string{"Hà Giang", "Lào Cai", "Lai Châu", "Điện Biên", "Sơn La", "Yên Bái", "Cao Bằng", "Bắc Kạn", "Lạng Sơn",
		"Tuyên Quang", "Thái Nguyên", "Hòa Bình", "Phú Thọ", "Thanh Hóa", "Nghệ An", "Quảng Trị", "Quảng Nam", "Kon Tum",
		"Gia Lai", "Đắk Lắk", "Đắk Nông", "Lâm Đồng", "Sóc Trăng", "Trà Vinh", "An Giang", "Kiên Giang", "Hà Nội", "Hồ Chí Minh"}
	languages = []struct {
		lang   string
		weight int
	}{{"vi", 70}, {"hmn", 9}, {"tay", 7}, {"th", 6}, {"km", 4}, {"", 4}}
	phrases = []string{
		"Gia đình tôi ở bản vùng cao, xin hỏi thủ tục cấp giấy chứng nhận quyền sử dụng đất nương rẫy như thế nào?",
		"Đường vào bản bị sạt lở sau mưa lũ, học sinh không đến trường được, đề nghị chính quyền sớm khắc phục.",
		"Xin hỏi chế độ hỗ trợ hộ nghèo, hộ cận nghèo năm nay có gì thay đổi, cần nộp giấy tờ gì tại xã?",
		"Trạm y tế xã thiếu thuốc và bác sĩ, bà con phải đi xa để khám bệnh, mong được quan tâm.",
		"Điện lưới chưa về đến thôn, gia đình tôi vẫn phải dùng máy phát nhỏ, khi nào có điện?",
	}
)

// itemRows feeds COPY one generated item at a time and reports progress.
type itemRows struct {
	n, i   int
	rnd    *rand.Rand
	now    time.Time
	sla    moderation.SLA
	row    []any
	err    error
	out    io.Writer
	start  time.Time
	srcSum int
	lngSum int
}

func (r *itemRows) Next() bool {
	if r.i >= r.n {
		return false
	}
	r.i++
	if r.i%100_000 == 0 || r.i == r.n {
		el := time.Since(r.start).Seconds()
		fmt.Fprintf(r.out, "generated %7d/%d items (%.0f%%, %.0f items/s)\n", r.i, r.n, float64(r.i)*100/float64(r.n), float64(r.i)/el)
	}
	rnd := r.rnd
	src := pickSource(rnd.IntN(r.srcSum))
	created := r.now.Add(-time.Duration(rnd.Int64N(int64(365 * 24 * time.Hour))))
	priority := 0
	if rnd.IntN(20) == 0 {
		priority = 2
	}
	due := r.sla.DueAt(src, priority, created)
	// Most items are handled: first response after minutes to days (log-
	// normal), the answer some time after; about one open item in six.
	var first, answered, escalatedAt *time.Time
	status := moderation.StatusAnswered
	escalated := false
	open := created.After(r.now.Add(-14*24*time.Hour)) && rnd.IntN(2) == 0 || rnd.IntN(30) == 0
	if open {
		status = []string{moderation.StatusPending, moderation.StatusApproved, moderation.StatusInfoRequested}[rnd.IntN(3)]
		if status != moderation.StatusPending {
			t := created.Add(minutes(rnd, 120))
			first = &t
		}
		if due.Before(r.now) {
			escalated = true
			escalatedAt = &due
		}
	} else {
		t := created.Add(minutes(rnd, 180))
		first = &t
		switch k := rnd.IntN(100); {
		case k < 80:
			a := t.Add(minutes(rnd, 600))
			answered = &a
		case k < 92:
			status = moderation.StatusRejected
		case k < 97:
			status = moderation.StatusClosed
		default:
			status = moderation.StatusMerged
		}
	}
	cat := categories[int(math.Min(float64(len(categories)-1), math.Abs(rnd.NormFloat64())*4))]
	prov := provinces[int(math.Min(float64(len(provinces)-1), math.Abs(rnd.NormFloat64())*8))]
	if rnd.IntN(25) == 0 {
		prov = ""
	}
	title := phrases[rnd.IntN(len(phrases))]
	r.row = []any{string(src), strconv.Itoa(r.i), shorten(title, 60), title + " " + phrases[rnd.IntN(len(phrases))],
		cat, prov, pickLanguage(rnd.IntN(r.lngSum)), priority, status, created, first, answered, due, escalated, escalatedAt}
	return true
}

func (r *itemRows) Values() ([]any, error) { return r.row, nil }
func (r *itemRows) Err() error             { return r.err }

// shorten keeps the first n runes of s.
func shorten(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

func minutes(rnd *rand.Rand, median float64) time.Duration {
	return time.Duration(math.Exp(math.Log(median)+rnd.NormFloat64()) * float64(time.Minute))
}

func pickSource(k int) moderation.Source {
	for _, s := range sources {
		if k < s.weight {
			return s.src
		}
		k -= s.weight
	}
	return sources[0].src
}

func pickLanguage(k int) string {
	for _, l := range languages {
		if k < l.weight {
			return l.lang
		}
		k -= l.weight
	}
	return "vi"
}

// generate COPYs n items into moderation_items.
func generate(ctx context.Context, pool *pgxpool.Pool, n int, seed uint64, now time.Time, sla moderation.SLA, progress io.Writer) error {
	src := &itemRows{n: n, rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), now: now, sla: sla, out: progress, start: time.Now()}
	for _, s := range sources {
		src.srcSum += s.weight
	}
	for _, l := range languages {
		src.lngSum += l.weight
	}
	_, err := pool.CopyFrom(ctx, pgx.Identifier{"moderation_items"},
		[]string{"source", "ref", "title", "content", "category", "province", "language", "priority", "status",
			"created_at", "first_response_at", "answered_at", "due_at", "escalated", "escalated_at"}, src)
	return err
}
