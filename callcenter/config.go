package callcenter

import (
	"crypto/rand"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/doithoai/doithoai/internal/blob"
	"github.com/doithoai/doithoai/internal/i18n"
)

// Config is the hotline's configuration, passed to New: the node maps it
// from internal/config's Hotline section (cmd/doithoai/wire_callcenter.go),
// tests build it by hand.
type Config struct {
	SIPAddr        string     // UDP and TCP listen address (SIP_ADDR)
	PublicIP       netip.Addr // address in SDP and Contact; zero: the local address facing the peer
	HotlineNumbers []string   // request-URI users we answer (HOTLINE_NUMBERS)
	StaffNumbers   []string   // the staff line for recording prompts (HOTLINE_STAFF_NUMBERS); empty: none
	StaffPIN       string     // staff line without SIP credentials (HOTLINE_STAFF_PIN); empty: digest only
	DataDir        string     // recordings are spooled here while a call records them, then kept in the blob store
	PromptsDir     string     // overrides for the embedded prompts; empty: DataDir/prompts

	RTPPortMin, RTPPortMax int // even ports from this range; 0/0: kernel's choice

	// blobs keeps recordings and spoken answers where every node reads
	// them; New sets it from Deps.Blobs (PostgreSQL by default).
	blobs blob.Store

	MaxCalls         int            // concurrent calls; more are answered 486
	MaxCallsPerIP    int            // concurrent calls from one source IP; more are answered 486
	TrustedSources   []netip.Prefix // SIP trunks/edge proxies: no per-source call cap
	InviteRate       float64        // new INVITEs per second per source IP
	InviteBurst      int            //
	RegisterRate     float64        // REGISTERs per second per source IP
	RegisterBurst    int            //
	RingTime         time.Duration  // 180 Ringing before answering (0: answer at once)
	RTPTimeout       time.Duration  // no RTP this long: hang up with BYE
	RTPStartTimeout  time.Duration  // no RTP at all this long after the ACK: hang up (no_rtp)
	DigitTimeout     time.Duration  // wait for a key after a menu prompt
	MenuRetries      int            // replays of a menu on no or invalid input
	AgentWait        time.Duration  // queue wait before voicemail
	AgentRingTimeout time.Duration  // one agent rings this long before the next is tried
	AgentLease       time.Duration  // a node's claim on an agent it rings or bridges (shared registrations) lapses this long after its last renewal
	VoicemailMax     time.Duration  // longest recording
	VoicemailMin     time.Duration  // shorter recordings make no ticket
	CallRecordingMax time.Duration  // an operator call is recorded (with consent) up to this long; the call goes on
	AnswerAudioMax   time.Duration  // longest spoken answer a moderator may upload (ivr_answer_audio.go)
	ConsentOnSilence bool           // staying on the line after the consent prompt counts as consent
	Hours            Hours          // business hours and holidays
	HoursSpec        string         // Hours as configured (HOTLINE_HOURS), shown on the admin page
	DefaultLanguage  string         // prompts language before the caller chooses
	NonceSecret      []byte         // signs digest nonces; random per process when empty
	ShutdownGrace    time.Duration  // how long Run waits for calls to hang up
	CallbackAttempts int            // a callback task not reached after this many attempts becomes an SMS or a note
	CallbackGrace    time.Duration  // a callback task still open this long after its due time is escalated

	// The SIP TCP listener's budget, so that hostile connections can take
	// neither all of the process's descriptors nor the listener itself.
	SIPTCPMaxConns       int           // open SIP TCP connections accepted; more are closed at once
	SIPTCPMaxPerIP       int           // of those, from one IPv4 address or IPv6 /64
	SIPTCPMessageTimeout time.Duration // a started message (or a new connection's first) must be complete within this
	SIPTCPIdleTimeout    time.Duration // a connection with no traffic this long is closed unless it carries a registration or call
}

// DefaultConfig returns the defaults documented in the README.
func DefaultConfig() Config {
	h, _ := ParseHours(DefaultHours, DefaultHolidays, i18n.Vietnam)
	return Config{
		SIPAddr:          ":5060",
		HotlineNumbers:   []string{"1022"},
		StaffNumbers:     []string{"1023"},
		DataDir:          "./data",
		RTPPortMin:       10000,
		RTPPortMax:       20000,
		MaxCalls:         500,
		MaxCallsPerIP:    4,
		InviteRate:       5,
		InviteBurst:      20,
		RegisterRate:     1,
		RegisterBurst:    10,
		RTPTimeout:       30 * time.Second,
		RTPStartTimeout:  5 * time.Second,
		DigitTimeout:     5 * time.Second,
		MenuRetries:      2,
		AgentWait:        60 * time.Second,
		AgentRingTimeout: 20 * time.Second,
		VoicemailMax:     3 * time.Minute,
		VoicemailMin:     time.Second,
		CallRecordingMax: time.Hour,
		AnswerAudioMax:   3 * time.Minute,
		Hours:            h,
		DefaultLanguage:  "vi",
		ShutdownGrace:    10 * time.Second,
		CallbackAttempts: defaultCallbackAttempts,
		CallbackGrace:    defaultCallbackGrace,

		SIPTCPMaxConns:       1024,
		SIPTCPMaxPerIP:       16,
		SIPTCPMessageTimeout: 10 * time.Second,
		SIPTCPIdleTimeout:    2 * time.Minute,
	}
}

// withDefaults fills what a hand-built Config (tests) left empty.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.PromptsDir == "" && c.DataDir != "" {
		c.PromptsDir = filepath.Join(c.DataDir, "prompts")
	}
	if len(c.NonceSecret) == 0 {
		c.NonceSecret = make([]byte, 32)
		rand.Read(c.NonceSecret)
	}
	if c.Hours.Loc == nil {
		c.Hours = d.Hours
	}
	if c.DefaultLanguage == "" {
		c.DefaultLanguage = d.DefaultLanguage
	}
	setDur := func(p *time.Duration, v time.Duration) {
		if *p == 0 {
			*p = v
		}
	}
	setDur(&c.RTPTimeout, d.RTPTimeout)
	setDur(&c.RTPStartTimeout, d.RTPStartTimeout)
	setDur(&c.DigitTimeout, d.DigitTimeout)
	setDur(&c.AgentWait, d.AgentWait)
	setDur(&c.AgentRingTimeout, d.AgentRingTimeout)
	setDur(&c.AgentLease, defaultAgentLease)
	setDur(&c.VoicemailMax, d.VoicemailMax)
	setDur(&c.CallRecordingMax, d.CallRecordingMax)
	setDur(&c.AnswerAudioMax, d.AnswerAudioMax)
	setDur(&c.ShutdownGrace, d.ShutdownGrace)
	setDur(&c.CallbackGrace, defaultCallbackGrace)
	if c.CallbackAttempts <= 0 {
		c.CallbackAttempts = defaultCallbackAttempts
	}
	setDur(&c.SIPTCPMessageTimeout, d.SIPTCPMessageTimeout)
	setDur(&c.SIPTCPIdleTimeout, d.SIPTCPIdleTimeout)
	if c.SIPTCPMaxConns == 0 {
		c.SIPTCPMaxConns = d.SIPTCPMaxConns
	}
	if c.SIPTCPMaxPerIP == 0 {
		c.SIPTCPMaxPerIP = d.SIPTCPMaxPerIP
	}
	if c.MaxCalls == 0 {
		c.MaxCalls = d.MaxCalls
	}
	if c.MaxCallsPerIP == 0 {
		c.MaxCallsPerIP = d.MaxCallsPerIP
	}
	if c.InviteRate == 0 {
		c.InviteRate, c.InviteBurst = d.InviteRate, d.InviteBurst
	}
	if c.RegisterRate == 0 {
		c.RegisterRate, c.RegisterBurst = d.RegisterRate, d.RegisterBurst
	}
	return c
}

func (c Config) validate() error {
	if len(c.HotlineNumbers) == 0 {
		return fmt.Errorf("callcenter config: HOTLINE_NUMBERS is empty")
	}
	if _, _, err := net.SplitHostPort(c.SIPAddr); err != nil {
		return fmt.Errorf("callcenter config: SIP_ADDR %q: %w", c.SIPAddr, err)
	}
	if c.RTPPortMin != 0 || c.RTPPortMax != 0 {
		if c.RTPPortMin < 1024 || c.RTPPortMax > 65534 || c.RTPPortMax < c.RTPPortMin+2 {
			return fmt.Errorf("callcenter config: RTP port range %d-%d", c.RTPPortMin, c.RTPPortMax)
		}
	}
	if c.DataDir == "" {
		return fmt.Errorf("callcenter config: DATA_DIR is empty")
	}
	for _, n := range c.StaffNumbers {
		if slices.Contains(c.HotlineNumbers, n) {
			return fmt.Errorf("callcenter config: %s is both a hotline and a staff number", n)
		}
	}
	if c.StaffPIN != "" && (len(c.StaffPIN) < 4 || len(c.StaffPIN) > 12 || strings.Trim(c.StaffPIN, "0123456789") != "") {
		return fmt.Errorf("callcenter config: HOTLINE_STAFF_PIN must be 4-12 digits")
	}
	if c.SIPTCPMaxConns < 1 || c.SIPTCPMaxPerIP < 1 {
		return fmt.Errorf("callcenter config: SIP_TCP_MAX_CONNS and SIP_TCP_MAX_PER_IP must be at least 1")
	}
	if c.SIPTCPMaxPerIP > c.SIPTCPMaxConns {
		return fmt.Errorf("callcenter config: SIP_TCP_MAX_PER_IP %d is above SIP_TCP_MAX_CONNS %d", c.SIPTCPMaxPerIP, c.SIPTCPMaxConns)
	}
	return nil
}

// trustedSource reports whether ip is a configured trunk or edge proxy.
func (c Config) trustedSource(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range c.TrustedSources {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
