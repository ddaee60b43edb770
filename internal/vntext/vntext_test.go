package vntext

import (
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Không dấu", "khong dau"},
		{"KHÔNG DẤU", "khong dau"},
		{norm.NFD.String("không dấu"), "khong dau"},
		{"hoà", "hoa"},
		{"hòa", "hoa"},
		{norm.NFD.String("hoà"), "hoa"},
		{"Đất đai", "dat dai"},
		{"Người dân tộc Thái", "nguoi dan toc thai"},
		{"ưởng ỡ", "uong o"},
		{"abc 123", "abc 123"},
	}
	for _, tt := range tests {
		if got := Fold(tt.in); got != tt.want {
			t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSlug(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Đất đai ở Hà Giang?", "dat-dai-o-ha-giang"},
		{"  Chế độ hỗ trợ — hộ nghèo!! ", "che-do-ho-tro-ho-ngheo"},
		{"???", ""},
	}
	for _, tt := range tests {
		if got := Slug(tt.in); got != tt.want {
			t.Errorf("Slug(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := Slug(strings.Repeat("dài ", 100)); len(got) > 84 {
		t.Errorf("slug too long: %d bytes", len(got))
	}
}

func TestSnippet(t *testing.T) {
	text := "Xin hỏi về chế độ hỗ trợ người không có đất sản xuất ở xã vùng cao <b>Mèo Vạc</b>."
	got := Snippet(text, Terms("khong dat"), 200)
	for _, want := range []string{"<mark>không</mark>", "<mark>đất</mark>", "&lt;b&gt;Mèo Vạc&lt;/b&gt;"} {
		if !strings.Contains(got, want) {
			t.Errorf("snippet %q lacks %q", got, want)
		}
	}
	long := strings.Repeat("lời mở đầu dài ", 40) + "câu hỏi về hộ nghèo" + strings.Repeat(" phần cuối", 40)
	got = Snippet(long, Terms("ho ngheo"), 60)
	if !strings.Contains(got, "<mark>hộ</mark> <mark>nghèo</mark>") || !strings.HasPrefix(got, "…") || !strings.HasSuffix(got, "…") {
		t.Errorf("windowed snippet %q", got)
	}
	if n := len([]rune(strings.NewReplacer("<mark>", "", "</mark>", "").Replace(got))); n > 64 {
		t.Errorf("snippet of %d runes, want about 60", n)
	}
}

// Searching "đất" must not light up "đạt" and "dát", which fold to the
// same syllable; "dat" (typed without marks) still marks every form, and a
// marked word absent from the text falls back to the folded match.
func TestSnippetQueryExactFormFirst(t *testing.T) {
	text := "Đất ở xã đạt chuẩn nông thôn mới; mái tôn dát mỏng. Giấy chứng nhận đất."
	got := SnippetQuery(text, "đất", 200)
	if strings.Count(got, "<mark>") != 2 || !strings.Contains(got, "<mark>Đất</mark>") || !strings.Contains(got, "<mark>đất</mark>") {
		t.Errorf("đất: %q, want only the two đất marked", got)
	}
	if strings.Contains(got, "<mark>đạt</mark>") || strings.Contains(got, "<mark>dát</mark>") {
		t.Errorf("đất lit up another word: %q", got)
	}
	if got := SnippetQuery(text, "dat", 200); strings.Count(got, "<mark>") != 4 {
		t.Errorf("dat: %q, want all four forms marked", got)
	}
	if got := SnippetQuery("Xã đạt chuẩn", "đất", 200); !strings.Contains(got, "<mark>đạt</mark>") {
		t.Errorf("no exact form: %q, want the folded match", got)
	}
	// Whole words only, as the index matches: "ma" is not "mai".
	if got := Snippet("Bà Mai ở Mã Pì Lèng", Terms("ma"), 200); strings.Contains(got, "<mark>Ma</mark>i") || !strings.Contains(got, "<mark>Mã</mark>") {
		t.Errorf("ma: %q", got)
	}
}
