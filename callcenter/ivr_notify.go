package callcenter

import (
	"context"
	"fmt"
	"time"

	"github.com/doithoai/doithoai/internal/contact"
	"github.com/doithoai/doithoai/moderation"
	"github.com/jackc/pgx/v5"
)

// askNotify asks a caller who agreed to the consent prompt whether they
// want an SMS when there is news about their question: 1 yes, 2 no. No
// key, another key or a caller ID that is no phone number means no SMS:
// the number is only ever written to when the caller asked for it. It is
// asked once per call (the voicemail after an agent queue does not ask
// again).
func (c *call) askNotify(ctx context.Context) error {
	if c.notifyAsked {
		return nil
	}
	c.notifyAsked = true
	if _, err := contact.Phone(c.caller); err != nil {
		c.path("notify:no_number")
		return nil
	}
	c.flushDigits() // a key pressed for consent is no answer to this
	c.path("notify_ask")
	d, err := c.play(ctx, true, c.prompt(PromptNotifyAsk))
	if err == nil && d == 0 {
		d, err = c.waitDigit(ctx, c.e.cfg.DigitTimeout)
	}
	if err != nil {
		return err
	}
	switch d {
	case '1':
		c.notify = true
		c.path("notify:yes")
	case '2':
		c.path("notify:no")
	case 0:
		c.path("notify:timeout")
	default:
		c.path("notify:invalid:" + string(d))
	}
	return nil
}

// notifyContact is the item's contact for a ticket: the caller's number in
// E.164 when they asked to be told of news, so the outbox texts that
// number; otherwise the caller ID as it came (staff call back from it).
func notifyContact(t NewTicket) (string, bool) {
	if !t.Notify {
		return t.Caller, false
	}
	p, err := contact.Phone(t.Caller)
	if err != nil {
		return t.Caller, false
	}
	return p, true
}

// tellCallback records the callback_scheduled event (with the date the
// operator will call by) in the transaction that creates the callback
// task; the outbox sends it only to callers who pressed 1.
func (h decisionHandler) tellCallback(ctx context.Context, tx pgx.Tx, it moderation.Item, due time.Time) error {
	if err := h.mod.Notify(ctx, tx, moderation.OutboxEvent{Event: moderation.EventCallbackScheduled, Item: it, Due: due}); err != nil {
		return fmt.Errorf("callcenter.decisionHandler: %w", err)
	}
	return nil
}
