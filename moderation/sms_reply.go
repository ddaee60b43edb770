package moderation

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/doithoai/doithoai/internal/apperr"
	"github.com/doithoai/doithoai/internal/contact"
	"github.com/doithoai/doithoai/internal/db"
	"github.com/jackc/pgx/v5"
)

// Citizens may answer a request for information by SMS where the gateway
// delivers replies: Kannel's smsbox calls /api/v1/sms/inbound (its
// sms-service get-url) for each mobile-originated message. The sender's
// number is the only credential a text carries, so a text is taken only
// as the reply of an item filed under that number, and nothing is ever
// sent back (no reply to unknown numbers: the gateway cannot be used to
// send SMS to anyone). Texts are limited per number.
const (
	smsReplyLimit  = 10
	smsReplyWindow = time.Hour
)

// SMS reply outcomes (logged, and what tests assert).
const (
	SMSReplied     = "replied"      // stored as the citizen's reply; the item is back in the queue
	SMSIgnored     = "ignored"      // no item of this number waits for information
	SMSAmbiguous   = "ambiguous"    // several do, and the text names none of them by code
	SMSRateLimited = "rate_limited" // too many texts from this number
	SMSInvalid     = "invalid"      // no usable number or text
)

// SMSReply takes a text from phone number from: when it starts with the
// tracking code of an item filed under that number, it is that item's
// reply (the rest of the text); otherwise it is the reply of the one item
// of that number waiting for information. Anything else is ignored.
func (s *Service) SMSReply(ctx context.Context, from, text string) (_ string, _ Item, err error) {
	defer apperr.Wrap(&err, "moderation.Service.SMSReply")
	phone, err := contact.Phone(from)
	if err != nil {
		return SMSInvalid, Item{}, nil
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return SMSInvalid, Item{}, nil
	}
	if ok, _, err := s.Limiter.Allow(ctx, "sms:in:"+phone, smsReplyLimit, smsReplyWindow); err != nil {
		s.Log.WarnContext(ctx, "rate limiter unavailable", "err", err)
	} else if !ok {
		return SMSRateLimited, Item{}, nil
	}
	outcome := SMSIgnored
	var out Item
	err = db.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		body := text
		var target *Item
		first, rest, _ := strings.Cut(text, " ")
		if code := NormalizeCode(first); CheckCode(code) == nil {
			// Only an item of this number: another's code is just words.
			it, err := findItem(ctx, tx, `i.tracking_code = $1 AND i.citizen_phone = $2 FOR UPDATE OF i`, code, phone)
			if err == nil {
				if it.Status != StatusInfoRequested {
					return nil
				}
				target, body = &it, strings.TrimSpace(rest)
			} else if apperr.KindOf(err) != apperr.NotFound {
				return err
			}
		}
		if target == nil {
			rows, err := tx.Query(ctx, `SELECT `+itemColumns+itemFrom+`
				WHERE i.citizen_phone = $1 AND i.status = $2 ORDER BY i.id LIMIT 2 FOR UPDATE OF i`, phone, StatusInfoRequested)
			if err != nil {
				return err
			}
			items, err := pgx.CollectRows(rows, scanItem)
			if err != nil {
				return err
			}
			switch len(items) {
			case 0:
				return nil
			case 1:
				target = &items[0]
			default:
				outcome = SMSAmbiguous
				return nil
			}
		}
		body, err := checkReply(body)
		if err != nil {
			outcome = SMSInvalid
			return nil
		}
		if out, err = citizenReplied(ctx, tx, *target, body); err != nil {
			return err
		}
		outcome = SMSReplied
		return nil
	})
	if err != nil {
		return "", Item{}, fmt.Errorf("moderation.SMSReply: %w", err)
	}
	return outcome, out, nil
}

// handleSMSInbound serves GET /api/v1/sms/inbound?token=…&from=…&text=…
// (Kannel's sms-service get-url; the access log keeps paths only, never
// the query with its token and text): 404
// when SMS_INBOUND_TOKEN is not set, 403 for a wrong token, otherwise 200
// with an empty body whatever became of the text, so that nothing is sent
// back and the caller learns nothing of the numbers on file. coding=2 (or
// charset=UTF-16BE) marks a UCS-2 text Kannel passed undecoded.
func (h *Handlers) handleSMSInbound(w http.ResponseWriter, r *http.Request) error {
	if h.svc.SMSInboundToken == "" {
		return apperr.NotFoundf("SMS replies are not enabled")
	}
	if err := r.ParseForm(); err != nil {
		return apperr.Invalidf("bad_form", "the request is not a form")
	}
	// Hashing first makes the comparison constant-time whatever the lengths.
	got, want := sha256.Sum256([]byte(r.Form.Get("token"))), sha256.Sum256([]byte(h.svc.SMSInboundToken))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		return apperr.Forbiddenf("wrong token")
	}
	text := r.Form.Get("text")
	if r.Form.Get("coding") == "2" || strings.EqualFold(r.Form.Get("charset"), "UTF-16BE") {
		text = decodeUCS2(text)
	}
	outcome, it, err := h.svc.SMSReply(r.Context(), r.Form.Get("from"), text)
	if err != nil {
		return err
	}
	h.svc.Log.InfoContext(r.Context(), "sms inbound", "outcome", outcome, "item", it.ID)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	return nil
}

// decodeUCS2 reads big-endian UTF-16 bytes; text that is already UTF-8
// (Kannel converted it) is kept.
func decodeUCS2(s string) string {
	b := []byte(s)
	if len(b)%2 != 0 || (utf8.ValidString(s) && !strings.ContainsRune(s, 0)) {
		return s
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	return string(utf16.Decode(u))
}
