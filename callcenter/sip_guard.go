package callcenter

import (
	"runtime/debug"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// guard wraps every SIP request handler. sipgo runs each request's handler
// in a goroutine of its own with no recovery, so a panic there would end
// the process: guard logs it with the stack and answers 500 if the
// transaction is still open. It also answers 505 to a request in a SIP
// version other than 2.0, which sipgo's parser lets through (RFC 3261
// §8.2.x, RFC 4475 §3.3.15).
func (e *engine) guard(h sipgo.RequestHandler) sipgo.RequestHandler {
	return func(req *sip.Request, tx sip.ServerTransaction) {
		defer func() {
			if v := recover(); v != nil {
				e.tm.handlerPanics.Inc()
				e.log.Error("hotline: SIP handler panicked", "method", req.Method, "call_id", callIDOf(req),
					"source", req.Source(), "panic", v, "stack", string(debug.Stack()))
				answerAfterPanic(req, tx)
			}
		}()
		if !strings.EqualFold(req.SipVersion, "SIP/2.0") {
			if req.Method != sip.ACK {
				res := sip.NewResponseFromRequest(req, sip.StatusVersionNotSupported, "Version Not Supported", nil)
				res.SipVersion = "SIP/2.0" // our version, not the one we refuse
				tx.Respond(res)
			}
			return
		}
		if hook := e.beforeHandler.Load(); hook != nil {
			(*hook)(req)
		}
		h(req, tx)
	}
}

// answerAfterPanic sends 500 unless the transaction is over or the request
// was an ACK (which has no response). It must not panic itself.
func answerAfterPanic(req *sip.Request, tx sip.ServerTransaction) {
	defer func() { recover() }() // tx may be a nil pointer in an interface
	if req.Method == sip.ACK || tx == nil {
		return
	}
	select {
	case <-tx.Done():
	default:
		respond(tx, req, 500, "Server Internal Error")
	}
}

func callIDOf(req *sip.Request) string {
	if h := req.CallID(); h != nil {
		return h.Value()
	}
	return ""
}
