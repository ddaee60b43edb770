package config

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/doithoai/doithoai/internal/i18n"
)

// Hotline is the SIP hotline's section (callcenter): the HOTLINE_*, RTP_*,
// SIP_PUBLIC_IP and SIP_TCP_* variables. SIP_ADDR, HOTLINE_NUMBERS and
// DATA_DIR are the node's own (Config). Field comments name the variable
// and callcenter/OPERATIONS.md says what each does; cmd/doithoai maps the
// section onto callcenter.Config. The hours are kept as written and
// parsed (bad ones reported by variable) when the hotline is built, since
// their grammar is the hotline's.
type Hotline struct {
	StaffNumbers     []string       // HOTLINE_STAFF_NUMBERS; "none": no staff line
	StaffPIN         string         // HOTLINE_STAFF_PIN: 4-12 digits; empty: SIP digest only
	PublicIP         netip.Addr     // SIP_PUBLIC_IP; zero: the local address facing the caller
	PromptsDir       string         // HOTLINE_PROMPTS_DIR; empty: DATA_DIR/prompts
	RTPPortMin       int            // RTP_PORT_MIN; 0 and 0: the kernel's choice
	RTPPortMax       int            // RTP_PORT_MAX
	MaxCalls         int            // HOTLINE_MAX_CALLS; 0: the hotline's default
	MaxCallsPerIP    int            // HOTLINE_MAX_CALLS_PER_IP
	TrustedSources   []netip.Prefix // HOTLINE_TRUSTED_SOURCES: CIDRs or addresses
	InviteRate       float64        // HOTLINE_INVITE_RATE: INVITEs/s per source (burst 4×)
	RTPTimeout       time.Duration  // HOTLINE_RTP_TIMEOUT
	RTPStartTimeout  time.Duration  // HOTLINE_RTP_START_TIMEOUT
	AgentWait        time.Duration  // HOTLINE_AGENT_WAIT
	AgentRing        time.Duration  // HOTLINE_AGENT_RING
	AgentLease       time.Duration  // HOTLINE_AGENT_LEASE
	VoicemailMax     time.Duration  // HOTLINE_VOICEMAIL_MAX
	CallRecordingMax time.Duration  // HOTLINE_CALL_RECORDING_MAX
	AnswerAudioMax   time.Duration  // HOTLINE_ANSWER_AUDIO_MAX
	DigitTimeout     time.Duration  // HOTLINE_DIGIT_TIMEOUT
	CallbackAttempts int            // HOTLINE_CALLBACK_ATTEMPTS; 0: the hotline's default
	CallbackGrace    time.Duration  // HOTLINE_CALLBACK_GRACE
	ConsentOnSilence bool           // HOTLINE_CONSENT_ON_SILENCE
	Timezone         *time.Location // HOTLINE_TIMEZONE
	Hours            string         // HOTLINE_HOURS, e.g. "Mon-Fri 07:30-11:30,13:30-17:00" or "always"
	// Holidays (HOTLINE_HOLIDAYS) replaces the hotline's fixed national
	// holidays; empty: those and SLA_HOLIDAYS (one calendar, Tết included).
	Holidays        string
	DefaultLanguage string // HOTLINE_DEFAULT_LANGUAGE
	NonceSecret     string // HOTLINE_NONCE_SECRET: shared by nodes so digest nonces survive a restart
	// SIPTCPMaxConns (SIP_TCP_MAX_CONNS); 0: derived at start from the
	// descriptor limit, at most SIPTCPMaxConnsCap.
	SIPTCPMaxConns       int
	SIPTCPMaxPerIP       int           // SIP_TCP_MAX_PER_IP: of those, from one IPv4 address or IPv6 /64
	SIPTCPMessageTimeout time.Duration // SIP_TCP_MESSAGE_TIMEOUT
	SIPTCPIdleTimeout    time.Duration // SIP_TCP_IDLE_TIMEOUT
}

// SIPTCPMaxConnsCap bounds the SIP TCP budget derived when
// SIP_TCP_MAX_CONNS is unset.
const SIPTCPMaxConnsCap = 1024

// defaultHotline is the README's and OPERATIONS.md's defaults (a test in
// cmd/doithoai holds them equal to callcenter.DefaultConfig).
func defaultHotline() Hotline {
	return Hotline{
		StaffNumbers:         []string{"1023"},
		RTPPortMin:           10000,
		RTPPortMax:           20000,
		MaxCalls:             500,
		MaxCallsPerIP:        4,
		InviteRate:           5,
		RTPTimeout:           30 * time.Second,
		RTPStartTimeout:      5 * time.Second,
		AgentWait:            60 * time.Second,
		AgentRing:            20 * time.Second,
		AgentLease:           30 * time.Second,
		VoicemailMax:         3 * time.Minute,
		CallRecordingMax:     time.Hour,
		AnswerAudioMax:       3 * time.Minute,
		DigitTimeout:         5 * time.Second,
		CallbackAttempts:     3,
		CallbackGrace:        4 * time.Hour,
		Timezone:             i18n.Vietnam,
		Hours:                "Mon-Fri 07:30-11:30,13:30-17:00",
		DefaultLanguage:      "vi",
		SIPTCPMaxPerIP:       16,
		SIPTCPMessageTimeout: 10 * time.Second,
		SIPTCPIdleTimeout:    2 * time.Minute,
	}
}

// readHotline reads the hotline's variables into h.
func (e *env) readHotline(h *Hotline) {
	if e.list("HOTLINE_STAFF_NUMBERS", &h.StaffNumbers) {
		h.StaffNumbers = slices.DeleteFunc(h.StaffNumbers, func(n string) bool { return n == "none" })
	}
	e.str("HOTLINE_STAFF_PIN", &h.StaffPIN)
	if v := e.get("SIP_PUBLIC_IP"); v != "" {
		ip, err := netip.ParseAddr(v)
		if err != nil {
			e.bad("SIP_PUBLIC_IP", v, "an IP address")
		}
		h.PublicIP = ip
	}
	e.str("HOTLINE_PROMPTS_DIR", &h.PromptsDir)
	const whole = "a whole number ≥ 0"
	e.count("RTP_PORT_MIN", &h.RTPPortMin, 0, whole)
	e.count("RTP_PORT_MAX", &h.RTPPortMax, 0, whole)
	e.count("HOTLINE_MAX_CALLS", &h.MaxCalls, 0, whole)
	e.count("HOTLINE_MAX_CALLS_PER_IP", &h.MaxCallsPerIP, 1, "at least 1 (exempt a trunk with HOTLINE_TRUSTED_SOURCES)")
	if v := e.get("HOTLINE_TRUSTED_SOURCES"); v != "" {
		nets, err := parsePrefixes(v)
		if err != nil {
			e.errs = append(e.errs, fmt.Errorf("HOTLINE_TRUSTED_SOURCES: %w", err))
		}
		h.TrustedSources = nets
	}
	if v := e.get("HOTLINE_INVITE_RATE"); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r <= 0 {
			e.bad("HOTLINE_INVITE_RATE", v, "a positive number of INVITEs a second")
		} else {
			h.InviteRate = r
		}
	}
	e.dur("HOTLINE_RTP_TIMEOUT", &h.RTPTimeout)
	e.dur("HOTLINE_RTP_START_TIMEOUT", &h.RTPStartTimeout)
	e.dur("HOTLINE_AGENT_WAIT", &h.AgentWait)
	e.dur("HOTLINE_AGENT_RING", &h.AgentRing)
	e.dur("HOTLINE_AGENT_LEASE", &h.AgentLease)
	e.dur("HOTLINE_VOICEMAIL_MAX", &h.VoicemailMax)
	e.dur("HOTLINE_CALL_RECORDING_MAX", &h.CallRecordingMax)
	e.dur("HOTLINE_ANSWER_AUDIO_MAX", &h.AnswerAudioMax)
	e.dur("HOTLINE_DIGIT_TIMEOUT", &h.DigitTimeout)
	e.count("HOTLINE_CALLBACK_ATTEMPTS", &h.CallbackAttempts, 0, whole)
	e.dur("HOTLINE_CALLBACK_GRACE", &h.CallbackGrace)
	e.boolean("HOTLINE_CONSENT_ON_SILENCE", &h.ConsentOnSilence)
	if v := e.get("HOTLINE_TIMEZONE"); v != "" {
		loc, err := time.LoadLocation(v)
		if err != nil {
			e.bad("HOTLINE_TIMEZONE", v, "a zone name such as Asia/Ho_Chi_Minh")
		} else {
			h.Timezone = loc
		}
	}
	e.str("HOTLINE_HOURS", &h.Hours)
	e.str("HOTLINE_HOLIDAYS", &h.Holidays)
	e.str("HOTLINE_DEFAULT_LANGUAGE", &h.DefaultLanguage)
	e.str("HOTLINE_NONCE_SECRET", &h.NonceSecret)
	e.count("SIP_TCP_MAX_CONNS", &h.SIPTCPMaxConns, 1, "a whole number ≥ 1 (or nothing, to derive it from the descriptor limit)")
	e.count("SIP_TCP_MAX_PER_IP", &h.SIPTCPMaxPerIP, 1, "a whole number ≥ 1")
	e.dur("SIP_TCP_MESSAGE_TIMEOUT", &h.SIPTCPMessageTimeout)
	e.dur("SIP_TCP_IDLE_TIMEOUT", &h.SIPTCPIdleTimeout)
}

// validate checks what no single variable shows: the port range, the staff
// line against the hotline numbers, the per-source share of SIP TCP.
func (h Hotline) validate(hotlineNumbers []string) error {
	var errs []error
	if h.RTPPortMin != 0 || h.RTPPortMax != 0 {
		if h.RTPPortMin < 1024 || h.RTPPortMax > 65534 || h.RTPPortMax < h.RTPPortMin+2 {
			errs = append(errs, fmt.Errorf("RTP_PORT_MIN/RTP_PORT_MAX %d-%d: want 1024 ≤ min, min+2 ≤ max ≤ 65534 (or both 0)", h.RTPPortMin, h.RTPPortMax))
		}
	}
	for _, n := range h.StaffNumbers {
		if slices.Contains(hotlineNumbers, n) {
			errs = append(errs, fmt.Errorf("HOTLINE_STAFF_NUMBERS: %s is also in HOTLINE_NUMBERS", n))
		}
	}
	if p := h.StaffPIN; p != "" && (len(p) < 4 || len(p) > 12 || strings.Trim(p, "0123456789") != "") {
		errs = append(errs, errors.New("HOTLINE_STAFF_PIN: want 4-12 digits, or nothing for SIP digest only"))
	}
	total := h.SIPTCPMaxConns
	if total == 0 {
		total = SIPTCPMaxConnsCap // the most a derived budget can be
	}
	if h.SIPTCPMaxPerIP > total {
		errs = append(errs, fmt.Errorf("SIP_TCP_MAX_PER_IP %d is above SIP_TCP_MAX_CONNS %d", h.SIPTCPMaxPerIP, total))
	}
	return errors.Join(errs...)
}

// parsePrefixes reads a comma list of CIDRs; a bare address stands for
// itself (/32 or /128).
func parsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range splitList(list) {
		if !strings.Contains(f, "/") {
			ip, err := netip.ParseAddr(f)
			if err != nil {
				return nil, fmt.Errorf("%q is not an address or CIDR", f)
			}
			out = append(out, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address or CIDR", f)
		}
		if p.Addr().Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
