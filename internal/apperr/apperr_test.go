package apperr

import (
	"errors"
	"strings"
	"testing"
)

func TestWrap(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		sentinel := errors.New("connection reset")
		err := func() (err error) {
			defer Wrap(&err, "forum.Store.FindQuestionByID(%d)", 42)
			return sentinel
		}()
		if got, want := err.Error(), "forum.Store.FindQuestionByID(42): connection reset"; got != want {
			t.Fatalf("Error() = %q, want %q", got, want)
		}
		if !errors.Is(err, sentinel) {
			t.Fatal("errors.Is lost the cause")
		}
		if e := As(err); e.Kind != Internal || e.Err != err {
			t.Fatalf("As = %+v, want an Internal error carrying the wrapped chain", e)
		}
	})
	t.Run("KeepsKindCodeAndMessage", func(t *testing.T) {
		nf := NotFoundf("no such question")
		err := func() (err error) {
			defer Wrap(&err, "forum.Service.Reopen(%q)", "ABCD1234")
			return nf
		}()
		e := As(err)
		if e != nf || KindOf(err) != NotFound || e.Code != "not_found" || e.Message != "no such question" {
			t.Fatalf("As(wrapped) = %+v, want the NotFound itself", e)
		}
		if !strings.HasPrefix(err.Error(), `forum.Service.Reopen("ABCD1234"): `) {
			t.Fatalf("Error() = %q, want the operation first", err.Error())
		}
	})
	t.Run("NilStaysNil", func(t *testing.T) {
		err := func() (err error) {
			defer Wrap(&err, "moderation.Store.FindItemByID(%d)", 1)
			return nil
		}()
		if err != nil {
			t.Fatalf("err = %v, want nil", err)
		}
	})
}

//go:noinline
func findNoWrap(id int64) (n int64, err error) { return id, nil }

//go:noinline
func findWrap(id int64) (_ int64, err error) {
	defer Wrap(&err, "forum.Store.FindQuestionByID(%d)", id)
	return id, nil
}

// What Wrap costs a call that succeeds (the hot path: a question page
// makes three such store calls), against the same call without it.
func BenchmarkWrapSuccess(b *testing.B) {
	b.Run("NoWrap", func(b *testing.B) {
		b.ReportAllocs()
		for i := range int64(b.N) {
			_, _ = findNoWrap(i + 1000)
		}
	})
	b.Run("Wrap", func(b *testing.B) {
		b.ReportAllocs()
		for i := range int64(b.N) {
			_, _ = findWrap(i + 1000)
		}
	})
}
