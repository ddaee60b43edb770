// Package callcenter is the hotline: a SIP server (github.com/emiago/sipgo) that
// answers the hotline numbers with an IVR, queues callers for registered
// agents and bridges their audio (B2BUA), and turns spoken questions into
// tickets in the shared moderation queue.
//
// The package is layered so that each layer can be tested on its own:
//
//   - media: g711.go, wav.go, prompts.go, rtp_session.go, dtmf.go, sdp.go
//   - telephony: sip_server.go (requests), call.go (one caller), ivr.go
//     (menus), agent_registry.go and digest.go (REGISTER), queue.go and
//     bridge.go (agents), voicemail.go, hours.go
//   - persistence: the narrow callStore seam in store.go, implemented by
//     store_postgres.go (production) and store_memory.go (tests, sipload)
//
// Goroutines: every accepted INVITE is served by the sipgo handler goroutine
// that received it; that goroutine owns the call (IVR, queue, bridge,
// voicemail) until the caller is hung up. Each RTP session adds one receive
// and one send goroutine, owned and stopped by the call.
package callcenter
