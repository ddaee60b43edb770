package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/doithoai/doithoai/internal/auth"
)

func registerForm(login string) url.Values {
	return url.Values{"login": {login}, "password": {"a good password"}, "consent": {"1"}}
}

// TestRegisterIsThrottled: a burst of registrations cannot run more
// argon2id hashes at once than there are cores, one address cannot open
// accounts without end, and a taken login is answered without hashing.
// Not parallel: it reads the process-wide hash counters.
func TestRegisterIsThrottled(t *testing.T) {
	n := MustStartNode(t, "")

	t.Run("ConcurrentHashingIsBounded", func(t *testing.T) {
		var clients []*client
		for i := 0; i < 5; i++ {
			c := newClientFrom(t, n, fmt.Sprintf("127.0.0.%d", 21+i))
			c.csrf()
			clients = append(clients, c)
		}
		type answer struct {
			status     int
			retryAfter string
			err        error
		}
		answers := make(chan answer, 50)
		var wg sync.WaitGroup
		for i := 0; i < 50; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				c := clients[i%len(clients)]
				form := registerForm(fmt.Sprintf("0910%06d", i))
				form.Set("csrf_token", c.csrf())
				resp, err := c.postForm("/register", form)
				if err != nil {
					answers <- answer{err: err}
					return
				}
				answers <- answer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After")}
			}(i)
		}
		wg.Wait()
		close(answers)
		registered, busy := 0, 0
		for a := range answers {
			switch {
			case a.err != nil:
				t.Errorf("register: %v", a.err)
			case a.status == http.StatusSeeOther:
				registered++
			case a.status == http.StatusTooManyRequests && a.retryAfter != "":
				busy++ // told to come back: every hashing slot stayed taken
			default:
				t.Errorf("register: status %d (Retry-After %q)", a.status, a.retryAfter)
			}
		}
		t.Logf("%d registered, %d told the node is busy", registered, busy)
		if registered == 0 {
			t.Error("no registration of the burst went through")
		}
		if peak, cores := auth.PasswordHashStats().Peak, int64(runtime.GOMAXPROCS(0)); peak > cores {
			t.Errorf("%d argon2id runs at once, want at most GOMAXPROCS=%d", peak, cores)
		}
	})

	c := newClientFrom(t, n, "127.0.0.31")
	t.Run("ErrTooManyFromOneAddress", func(t *testing.T) {
		for i := 0; i < 10; i++ {
			if r := c.PostForm("/register", registerForm(fmt.Sprintf("0920%06d", i))); r.StatusCode != http.StatusSeeOther {
				t.Fatalf("registration %d: %d", i+1, r.StatusCode)
			}
		}
		before := auth.PasswordHashStats().Total
		r := c.PostForm("/register?lang=en", registerForm("0920999999"))
		body, _ := io.ReadAll(r.Body)
		if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
			t.Fatalf("11th registration from one address: %d, Retry-After %q", r.StatusCode, r.Header.Get("Retry-After"))
		}
		if !strings.Contains(string(body), "Too many accounts") {
			t.Errorf("the refusal page does not say why:\n%s", body)
		}
		if d := auth.PasswordHashStats().Total - before; d != 0 {
			t.Errorf("a refused registration ran %d hashes", d)
		}
	})

	t.Run("ErrTakenWithoutHashing", func(t *testing.T) {
		d := newClientFrom(t, n, "127.0.0.32")
		d.csrf()
		before := auth.PasswordHashStats().Total
		r := d.PostForm("/register?lang=en", registerForm("0920000000"))
		body, _ := io.ReadAll(r.Body)
		if r.StatusCode != http.StatusConflict || !strings.Contains(string(body), "already exists") {
			t.Fatalf("a taken login: %d\n%s", r.StatusCode, body)
		}
		if d := auth.PasswordHashStats().Total - before; d != 0 {
			t.Errorf("answering \"taken\" ran %d hashes", d)
		}
	})
}
