package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/doithoai/doithoai/internal/apperr"
)

// fuzzBody has the field types API bodies use.
type fuzzBody struct {
	Title   string            `json:"title"`
	Count   int               `json:"count"`
	Since   *int64            `json:"since"`
	Consent bool              `json:"consent"`
	Tags    []string          `json:"tags"`
	Meta    map[string]string `json:"meta"`
	Inner   *struct {
		Score float64 `json:"score"`
	} `json:"inner"`
}

var decodeErrorCodes = map[string]bool{"unsupported_media_type": true, "body_too_large": true, "bad_body": true,
	"invalid_utf8": true, "empty_body": true, "bad_json": true}

// Every API body goes through DecodeJSON: it accepts exactly one well-formed
// JSON value of valid UTF-8 within the size limit, and answers anything else
// with a 400 whose JSON body names the problem in a short message. What it
// accepts decodes exactly as json.Unmarshal would decode it.
func FuzzDecodeJSON(f *testing.F) {
	f.Add("application/json", []byte(`{"title":"Hỏi về đất đai","count":2,"tags":["a"],"inner":{"score":1.5}}`))
	f.Add("", []byte(`{"title":"x"} {"title":"y"}`))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		var got fuzzBody
		var decodeErr error
		h := Handler(func(w http.ResponseWriter, r *http.Request) error {
			if decodeErr = DecodeJSON(w, r, &got); decodeErr != nil {
				return decodeErr
			}
			JSON(w, http.StatusOK, got)
			return nil
		})
		req := httptest.NewRequest(http.MethodPost, "/api/v1/fuzz", bytes.NewReader(body))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		if decodeErr != nil {
			e := apperr.As(decodeErr)
			if e.Kind != apperr.Invalid || !decodeErrorCodes[e.Code] || e.Message == "" || len(e.Message) > 200 {
				t.Fatalf("error %#v: want Invalid, a known code and a short message", e)
			}
			var out struct {
				Error struct{ Code, Message string }
			}
			if rec.Code != http.StatusBadRequest || json.Unmarshal(rec.Body.Bytes(), &out) != nil || out.Error.Code != e.Code {
				t.Fatalf("error answered %d %q, want 400 with a JSON error %q", rec.Code, rec.Body.String(), e.Code)
			}
			return
		}
		if contentType != "" && !strings.HasPrefix(contentType, "application/json") {
			t.Fatalf("accepted Content-Type %q", contentType)
		}
		if len(body) > MaxJSONBody || !utf8.Valid(body) {
			t.Fatalf("accepted a body of %d bytes, valid UTF-8: %v", len(body), utf8.Valid(body))
		}
		if !json.Valid(body) {
			t.Fatalf("accepted a body that is not one JSON value: %q", body)
		}
		var want fuzzBody
		if err := json.Unmarshal(body, &want); err != nil {
			t.Fatalf("DecodeJSON accepted %q, json.Unmarshal refuses it: %v", body, err)
		} else if err == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("DecodeJSON(%q) = %+v, json.Unmarshal gives %+v", body, got, want)
		}
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d", rec.Code)
		}
	})
}
