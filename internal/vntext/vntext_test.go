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
