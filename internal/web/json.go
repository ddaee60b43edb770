package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/doithoai/doithoai/internal/apperr"
)

// MaxJSONBody bounds API request bodies; larger ones are refused with 413.
const MaxJSONBody = 1 << 20

// JSON writes v as JSON with status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// DecodeJSON reads r's body into dst. Malformed JSON, invalid UTF-8, trailing
// data and oversized bodies are Invalid errors that name the problem; encoding/
// json would otherwise replace invalid UTF-8 silently.
func DecodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return apperr.Invalidf("unsupported_media_type", "send the body as application/json")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxJSONBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &apperr.Error{Kind: apperr.Invalid, Code: "body_too_large", Message: "the request body is larger than 1 MiB"}
		}
		return apperr.Invalidf("bad_body", "could not read the request body")
	}
	if !utf8.Valid(body) {
		return apperr.Invalidf("invalid_utf8", "the request body is not valid UTF-8")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return apperr.Invalidf("empty_body", "the request body is empty; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(dst); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return apperr.Invalidf("bad_json", "field %q has the wrong type", typeErr.Field)
		}
		return apperr.Invalidf("bad_json", "malformed JSON: %v", err)
	}
	// dec.More reports false before a stray ']' or '}', so look at the
	// bytes themselves: only white space may follow the value.
	if len(bytes.TrimSpace(body[dec.InputOffset():])) != 0 {
		return apperr.Invalidf("bad_json", "unexpected data after the JSON object")
	}
	return nil
}
