package callcenter

import (
	"context"
	"errors"
	"time"
)

// runIVR is the call script: greeting and language menu, the out-of-hours
// notice, the topic menu, then an agent (in hours, when the topic routes to
// one and agents are registered) or voicemail.
func (c *call) runIVR(ctx context.Context) error {
	e := c.e
	menu, err := e.store.Menu(ctx)
	if err != nil || menu.Validate() != nil {
		e.log.Error("hotline: menu unavailable, using default", "err", err)
		menu = DefaultMenu()
	}

	c.path("greeting")
	if ok, err := c.chooseLanguage(ctx, menu); err != nil || !ok {
		return c.goodbye(ctx, err)
	}

	if asked, err := c.offerLive(ctx); asked || err != nil { // ivr_live.go
		return err
	}

	open := e.hours.get().Open(e.now())
	if !open {
		c.cdr.OutOfHours = true
		c.path("out_of_hours")
		if _, err := c.play(ctx, false, c.prompt(PromptOutOfHours)); err != nil {
			return err
		}
	}

	// The main menu: a topic, or * for a ticket's status (ivr_status.go),
	// after which the caller may leave a message about that case or come
	// back here.
	var topic TopicOption
	for rounds := 0; ; {
		topicPrompt := [][]int16{c.prompt(PromptTopicMenu)}
		if rounds < maxStatusRounds {
			topicPrompt = append(topicPrompt, silence(200), c.prompt(PromptStatusHint))
		}
		d, err := c.choose(ctx, "topic", topicPrompt, topicPrompt,
			func(d byte) bool { _, ok := menu.topic(d); return ok || d == '*' && rounds < maxStatusRounds }, menu.DefaultTopic)
		if err != nil || d == 0 {
			return c.goodbye(ctx, err)
		}
		if d != '*' {
			topic, _ = menu.topic(d)
			break
		}
		rounds++
		st, leave, err := c.statusByPhone(ctx)
		if err != nil {
			return err
		}
		if leave {
			topic = menu.caseTopic(st.Category)
			c.topic, c.cdr.Topic = topic, topic.Key
			c.path("topic:case:" + topic.Key)
			return c.voicemail(ctx, topic, open)
		}
	}
	c.topic = topic
	c.cdr.Topic = topic.Key
	c.path("topic:" + topic.Digit + ":" + topic.Key)

	if open && topic.Route == RouteAgent {
		// Consent is asked before the queue: it decides whether the call
		// with the operator is recorded and whether the number may be kept
		// for a callback if the caller gives up waiting.
		if e.agents.registered() > 0 {
			if err := c.askCallConsent(ctx); err != nil {
				return err
			}
		}
		bridged, err := c.queueForAgent(ctx)
		if err != nil || bridged {
			return err
		}
	}
	return c.voicemail(ctx, topic, open)
}

// choose plays a menu and returns the key pressed. No key within
// DigitTimeout, or a key that is not an option, replays the menu up to
// MenuRetries times; after that the default option (if any) is taken, so
// callers without DTMF still get through. 0 means give up.
func (c *call) choose(ctx context.Context, level string, first, again [][]int16, valid func(byte) bool, def string) (byte, error) {
	clips := first
	var next byte // a key pressed over the "invalid choice" prompt
	for try := 0; try <= c.e.cfg.MenuRetries; try++ {
		d := next
		next = 0
		var err error
		if d == 0 {
			if d, err = c.play(ctx, true, clips...); err != nil {
				return 0, err
			}
		}
		if d == 0 {
			if d, err = c.waitDigit(ctx, c.e.cfg.DigitTimeout); err != nil {
				return 0, err
			}
		}
		switch {
		case d != 0 && valid(d):
			return d, nil
		case d == 0:
			c.path(level + ":timeout")
		default:
			c.flushDigits() // keys typed after a wrong one were meant for something else
			c.path(level + ":invalid:" + string(d))
			if next, err = c.play(ctx, true, c.prompt(PromptInvalid)); err != nil {
				return 0, err
			}
		}
		clips = again
	}
	if next != 0 && valid(next) {
		return next, nil
	}
	if def != "" {
		c.path(level + ":default")
		return def[0], nil
	}
	return 0, nil
}

// goodbye says goodbye (unless the caller is gone) and returns err.
func (c *call) goodbye(ctx context.Context, err error) error {
	if err == nil {
		_, err = c.play(ctx, false, c.prompt(PromptGoodbye), silence(200))
	}
	return err
}

// queueForAgent holds the caller in the agent queue, announcing the
// position, until an agent answers (true), the wait runs out or no agent is
// registered (false: voicemail).
func (c *call) queueForAgent(ctx context.Context) (bool, error) {
	e := c.e
	if e.agents.registered() == 0 {
		c.path("queue:no_agents")
		return false, nil
	}
	c.path("queue")
	entered := e.now()
	w := e.agents.enter(c)
	defer func() {
		e.agents.leave(w)
		c.cdr.QueueWait = e.now().Sub(entered).Seconds()
		e.metrics.queueWait.Observe(c.cdr.QueueWait)
	}()
	until := time.Now().Add(e.cfg.AgentWait) // real time: it bounds real timers
	deadline := time.NewTimer(e.cfg.AgentWait)
	defer deadline.Stop()

	var hold *playout
	announce := func() {
		pos := e.agents.position(w)
		clips := [][]int16{c.prompt(PromptHold), silence(150)}
		if pos > 0 {
			clips = append(clips, c.readNumber(itoa(pos))...)
		}
		clips = append(clips, silence(3000))
		hold = newPlayout(clips...)
		c.rtp.setSource(hold)
	}
	announce()
	for {
		select {
		case <-ctx.Done():
			if errors.Is(context.Cause(ctx), errCallerHangup) {
				c.leaveAbandonedCallback()
			}
			return false, ctx.Err()
		case <-deadline.C:
			c.path("queue:timeout")
			c.rtp.setSource(nil)
			return false, nil
		case <-hold.done:
			if e.agents.registered() == 0 {
				c.path("queue:no_agents")
				return false, nil
			}
			announce()
		case a := <-w.assigned:
			answered, err := c.bridgeAgent(ctx, a, until)
			if answered || err != nil {
				return answered, err
			}
			e.agents.requeue(w)
		}
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// askCallConsent asks the consent question before the agent queue.
func (c *call) askCallConsent(ctx context.Context) error {
	consent, err := c.askConsent(ctx)
	if err != nil {
		return err
	}
	if consent != "" {
		c.consent, c.consentAt = consent, c.e.now()
		c.path("consent:" + consent)
		return c.askNotify(ctx)
	}
	return nil
}

// leaveAbandonedCallback records a caller who hung up in the queue as a
// callback task, if they agreed to the consent prompt (their number is
// kept only then) and have a number to call.
func (c *call) leaveAbandonedCallback() {
	e := c.e
	if c.consent == "" || c.caller == "" {
		return
	}
	now := e.now()
	due := now
	if hours := e.hours.get(); !hours.Open(due) {
		due = hours.NextOpening(due)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := e.store.CreateAbandonedCallback(ctx, AbandonedCall{CallID: c.callID, Caller: c.caller, Language: c.lang, Topic: c.topic.Key, At: now, Due: due})
	if err != nil {
		e.log.Error("hotline: saving the abandoned call's callback failed", "call", c.callID, "err", err)
		return
	}
	c.path("queue:abandoned_callback")
}
