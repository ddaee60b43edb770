package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/doithoai/doithoai/internal/testenv"
)

// browserLogin logs in through the login form.
func browserLogin(ctx context.Context, base, login, password string) error {
	return chromedp.Run(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(`#login`, chromedp.ByID),
		chromedp.SendKeys(`#login`, login, chromedp.ByID),
		chromedp.SendKeys(`#password`, password, chromedp.ByID),
		chromedp.Submit(`#password`, chromedp.ByID),
	)
}

// screenshot saves the page for a person to look at when a test fails
// (and always, under DOITHOAI_SCREENSHOTS).
func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("DOITHOAI_SCREENSHOTS")
	if dir == "" {
		return
	}
	var png []byte
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)); err == nil {
		_ = os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	}
}

func TestBrowserLoginAndConsoleAccess(t *testing.T) {
	t.Parallel()
	n := MustStartNode(t, "")
	MustCreateUser(t, n, "moderator", "modvien", "mod-password-1")
	MustCreateUser(t, n, "citizen", "0933444555", "citizen-password-1")

	t.Run("ModeratorReachesConsole", func(t *testing.T) {
		ctx := testenv.Browser(t)
		if err := browserLogin(ctx, n.URL, "modvien", "mod-password-1"); err != nil {
			t.Fatal(err)
		}
		var url, h1 string
		if err := chromedp.Run(ctx, chromedp.WaitVisible(`#claim-next`, chromedp.ByID), chromedp.Location(&url), chromedp.Text(`main h1`, &h1, chromedp.ByQuery)); err != nil {
			t.Fatal(err)
		}
		screenshot(t, ctx, "console")
		if !strings.HasSuffix(url, "/console") || h1 != "Bàn kiểm duyệt" {
			t.Fatalf("after login: %s %q", url, h1)
		}
	})
	t.Run("ErrWrongPassword", func(t *testing.T) {
		ctx := testenv.Browser(t)
		if err := browserLogin(ctx, n.URL, "modvien", "wrong-password"); err != nil {
			t.Fatal(err)
		}
		var msg string
		if err := chromedp.Run(ctx, chromedp.WaitVisible(`.form-error`, chromedp.ByQuery), chromedp.Text(`.form-error`, &msg, chromedp.ByQuery)); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(msg, "Sai tên đăng nhập hoặc mật khẩu") {
			t.Fatalf("message %q", msg)
		}
	})
	t.Run("ErrCitizenRefused", func(t *testing.T) {
		ctx := testenv.Browser(t)
		if err := browserLogin(ctx, n.URL, "0933444555", "citizen-password-1"); err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Run(ctx, chromedp.WaitVisible(`a[href="/cua-toi"]`, chromedp.ByQuery)); err != nil {
			t.Fatal(err)
		}
		var h1, body string
		if err := chromedp.Run(ctx, chromedp.Navigate(n.URL+"/console"), chromedp.WaitVisible(`main h1`, chromedp.ByQuery),
			chromedp.Text(`main h1`, &h1, chromedp.ByQuery), chromedp.Text(`main`, &body, chromedp.ByQuery)); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(h1, "403") {
			t.Fatalf("citizen on /console saw %q / %q", h1, body)
		}
	})
}

// TestBrowserCoreLoop: a villager asks anonymously and gets a tracking
// code; a moderator claims, approves and answers in the console; the
// tracking page then shows the answer.
func TestBrowserCoreLoop(t *testing.T) {
	t.Parallel()
	n := MustSeededNode(t)
	citizen := testenv.Browser(t)
	var code string
	err := chromedp.Run(citizen,
		chromedp.Navigate(n.URL+"/hoi"),
		chromedp.WaitVisible(`#title`, chromedp.ByID),
		chromedp.SendKeys(`#title`, "Xin cấp giấy chứng nhận đất rẫy", chromedp.ByID),
		chromedp.SendKeys(`#body`, "Gia đình tôi canh tác đất rẫy từ năm 1995, chưa có sổ đỏ. Thủ tục thế nào?", chromedp.ByID),
		chromedp.SetValue(`#category`, "dat-dai", chromedp.ByID),
		chromedp.SendKeys(`#province`, "Lào Cai", chromedp.ByID),
		chromedp.Click(`#consent`, chromedp.ByID),
		chromedp.Click(`#send`, chromedp.ByID),
		chromedp.WaitVisible(`#tracking-code`, chromedp.ByID),
		chromedp.Text(`#tracking-code`, &code, chromedp.ByID),
	)
	screenshot(t, citizen, "ask-done")
	if err != nil {
		t.Fatal(err)
	}
	if len(code) != 8 {
		t.Fatalf("tracking code %q", code)
	}

	mod := testenv.Browser(t)
	if err := browserLogin(mod, n.URL, "mod1", "mod1-password"); err != nil {
		t.Fatal(err)
	}
	answer := "Ông/bà liên hệ UBND xã để được hướng dẫn đăng ký đất đai lần đầu."
	var status string
	err = chromedp.Run(mod,
		chromedp.WaitVisible(`.item-row`, chromedp.ByQuery),
		chromedp.Click(`#claim-next`, chromedp.ByID),
		chromedp.WaitVisible(`#approve`, chromedp.ByID),
		chromedp.Click(`#approve`, chromedp.ByID),
		chromedp.WaitNotPresent(`#approve`, chromedp.ByID),
		chromedp.WaitVisible(`#answer`, chromedp.ByID),
		chromedp.SendKeys(`#body`, answer, chromedp.ByID),
		chromedp.Click(`#answer`, chromedp.ByID),
		chromedp.WaitVisible(`.official-answer`, chromedp.ByQuery),
		chromedp.Text(`#item-status`, &status, chromedp.ByID),
	)
	screenshot(t, mod, "console-item")
	if err != nil {
		t.Fatal(err)
	}
	if status != "Đã trả lời" {
		t.Fatalf("item status %q", status)
	}

	var trackStatus, trackAnswer string
	err = chromedp.Run(citizen,
		chromedp.Navigate(n.URL+"/tra-cuu?code="+strings.ToLower(code)),
		chromedp.WaitVisible(`#track-answer`, chromedp.ByID),
		chromedp.Text(`#track-status`, &trackStatus, chromedp.ByID),
		chromedp.Text(`#track-answer`, &trackAnswer, chromedp.ByID),
	)
	screenshot(t, citizen, "track")
	if err != nil {
		t.Fatal(err)
	}
	if trackStatus != "Đã trả lời" || !strings.Contains(trackAnswer, answer) {
		t.Fatalf("tracking page: %q %q", trackStatus, trackAnswer)
	}
}
