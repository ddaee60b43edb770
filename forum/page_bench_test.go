package forum

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/doithoai/doithoai/internal/i18n"
	"github.com/doithoai/doithoai/internal/web"
)

// BenchmarkQuestionPage is the CPU of a question page without the
// database: executing the templates as handleQuestionView does, and
// gzipping the result as the node's Compress middleware does (level 5
// today; level 1 beside it). cmd/benchforum measures whole requests; this
// says how much of one is templates and how much is compression.
func BenchmarkQuestionPage(b *testing.B) {
	h, err := NewHandlers(nil, Options{BaseURL: "http://localhost:8080", SigningKey: func(context.Context) ([]byte, error) { return make([]byte, 32), nil }})
	if err != nil {
		b.Fatal(err)
	}
	cat := i18n.New()
	if err := cat.Add(web.Messages); err != nil {
		b.Fatal(err)
	}
	if err := cat.Add(Messages); err != nil {
		b.Fatal(err)
	}
	// The request as the node's middleware leaves it: language, catalog, csrf token.
	var r *http.Request
	capture := http.HandlerFunc(func(_ http.ResponseWriter, req *http.Request) { r = req })
	req := httptest.NewRequest(http.MethodGet, "/cau-hoi/123456-thu-tuc-cap-giay-chung-nhan-quyen-su-dung-dat", nil)
	req.Header.Set("Accept-Language", "vi-VN,vi;q=0.9")
	i18n.Middleware(web.WithCatalog(cat)(web.CSRF(false)(capture))).ServeHTTP(httptest.NewRecorder(), req)

	now := time.Date(2025, 6, 1, 9, 30, 0, 0, time.UTC)
	body := "Kính gửi UBND xã Tân Lập. Tôi tên là Nguyễn Văn An, hiện cư trú tại thôn Nà Hang, xã Tân Lập, huyện Phú Bình, tỉnh Thái Nguyên.\n\n" +
		"Gia đình tôi sinh sống ổn định trên thửa đất này từ năm 2009, có đóng thuế đầy đủ nhưng đến nay vẫn chưa được cấp giấy chứng nhận. " +
		"Tôi đã nộp hồ sơ tại bộ phận một cửa của huyện Phú Bình từ tháng 3 năm 2024 nhưng đến nay chưa nhận được kết quả.\n\n" +
		"Xin hỏi trường hợp của gia đình tôi có đủ điều kiện được cấp giấy chứng nhận không? Tôi cần chuẩn bị những giấy tờ gì và nộp ở đâu? Xin trân trọng cảm ơn."
	answer := "Trả lời câu hỏi của ông Nguyễn Văn An, Phòng Tài nguyên và Môi trường huyện Phú Bình có ý kiến như sau.\n\n" +
		"Căn cứ Luật Đất đai năm 2024, hộ gia đình sử dụng đất ổn định, không có tranh chấp, phù hợp quy hoạch thì được xem xét cấp giấy chứng nhận.\n\n" +
		"Đề nghị ông liên hệ bộ phận tiếp nhận và trả kết quả của huyện Phú Bình để được hướng dẫn cụ thể."
	published, answered := now.Add(time.Hour), now.Add(72*time.Hour)
	q := Question{ID: 123456, Category: Category{ID: 1, Slug: "dat-dai", Name: "Đất đai", Moderation: "pre"},
		AuthorName: "Nguyễn Văn An", Title: "Thủ tục cấp giấy chứng nhận quyền sử dụng đất tại xã Tân Lập, huyện Phú Bình",
		Slug: "thu-tuc-cap-giay-chung-nhan-quyen-su-dung-dat", Body: body, BodyHTML: RenderMarkdown(body), Kind: "question",
		Visibility: "public", Province: "Thái Nguyên", District: "huyện Phú Bình", Commune: "xã Tân Lập", Language: "vi",
		Status: StatusAnswered, Votes: 3, Views: 241, CreatedAt: now, PublishedAt: &published, AnsweredAt: &answered}
	p := questionPage{Q: q, CanReply: true, Replies: []Reply{
		{ID: 1, QuestionID: q.ID, AuthorName: "Phòng Tài nguyên và Môi trường huyện Phú Bình", Body: answer, BodyHTML: RenderMarkdown(answer),
			Official: true, Status: "published", CreatedAt: answered},
		{ID: 2, QuestionID: q.ID, AuthorName: "Trần Thị Hoa", Body: "Gia đình tôi cũng gặp trường hợp giống như vậy.",
			BodyHTML: RenderMarkdown("Gia đình tôi cũng gặp trường hợp giống như vậy."), Status: "published", CreatedAt: answered},
	}}
	p.Page = web.NewPage(r, "forum.question_title", q.Title)
	p.Title = q.Title

	var page bytes.Buffer
	if err := h.render.Render(&bufferWriter{buf: &page}, r, http.StatusOK, "question", p); err != nil {
		b.Fatal(err)
	}
	b.Run("render", func(b *testing.B) {
		w := &bufferWriter{buf: &bytes.Buffer{}}
		b.SetBytes(int64(page.Len()))
		for b.Loop() {
			w.buf.Reset()
			if err := h.render.Render(w, r, http.StatusOK, "question", p); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, level := range []int{5, 1} {
		// A pooled writer, Reset per response, as chi's Compress does.
		zw, _ := gzip.NewWriterLevel(nil, level)
		var out bytes.Buffer
		b.Run(fmt.Sprintf("gzip%d", level), func(b *testing.B) {
			b.SetBytes(int64(page.Len()))
			for b.Loop() {
				out.Reset()
				zw.Reset(&out)
				_, _ = zw.Write(page.Bytes())
				_ = zw.Close()
			}
			b.ReportMetric(float64(out.Len()), "gzip-bytes")
		})
	}
}

// BenchmarkQuestionPageCached is what the page cache does per view: a hit
// (look-up and the stored gzip bytes written), and a miss's extra work
// (compress once, hash for the ETag, store) on top of rendering.
func BenchmarkQuestionPageCached(b *testing.B) {
	page := bytes.Repeat([]byte("<p>Thủ tục cấp giấy chứng nhận quyền sử dụng đất tại xã Tân Lập</p>\n"), 50)
	c := newPageCache(DefaultPageCacheBytes)
	c.setLive(true)
	k := pageKey{123456, "vi"}
	p, err := newCachedPage(k, "/cau-hoi/123456-thu-tuc", page, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	c.put(p, c.epoch)
	req := httptest.NewRequest(http.MethodGet, p.path, nil)
	req.Header.Set("Accept-Encoding", "gzip, deflate, br")
	b.Run("hit", func(b *testing.B) {
		w := &bufferWriter{buf: &bytes.Buffer{}}
		for b.Loop() {
			w.buf.Reset()
			clear(w.Header())
			got, ok := c.get(k)
			if !ok {
				b.Fatal("miss")
			}
			if err := writeCachedPage(w, req, got); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("store", func(b *testing.B) {
		b.SetBytes(int64(len(page)))
		for b.Loop() {
			p, err := newCachedPage(k, "/cau-hoi/123456-thu-tuc", page, time.Now())
			if err != nil {
				b.Fatal(err)
			}
			c.put(p, c.epoch)
		}
	})
}

// bufferWriter is a ResponseWriter that keeps the body.
type bufferWriter struct {
	buf *bytes.Buffer
	h   http.Header
}

func (w *bufferWriter) Header() http.Header {
	if w.h == nil {
		w.h = http.Header{}
	}
	return w.h
}
func (w *bufferWriter) Write(p []byte) (int, error) { return w.buf.Write(p) }
func (w *bufferWriter) WriteHeader(int)             {}
