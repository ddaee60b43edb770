package callcenter

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// telephoneEventPT is the dynamic payload type we offer for RFC 4733
// telephone-event; in answers we reuse whatever the offer chose.
const telephoneEventPT = 101

// ErrNoCommonCodec means the offer has no PCMU or PCMA audio stream; the
// INVITE is refused with 488.
var ErrNoCommonCodec = errors.New("callcenter: no common codec (need PCMU or PCMA)")

// mediaDesc is the part of a session description the media layer needs.
type mediaDesc struct {
	Addr     netip.AddrPort // where to send RTP
	Codecs   []Codec        // G.711 laws in the sender's order of preference
	DTMFPT   int            // telephone-event payload type, -1 if absent
	Ptime    int            // ms; 0 when not given
	Inactive bool           // a=inactive or a=sendonly: the peer holds the call
}

// parseSDP extracts the first audio stream of an offer or answer. It is
// deliberately small: one audio m-line, IPv4 or IPv6, static G.711 payload
// types and a dynamic telephone-event.
func parseSDP(body []byte) (mediaDesc, error) {
	md := mediaDesc{DTMFPT: -1}
	var sessionAddr, mediaAddr string
	var port = -1
	var formats []string
	rtpmap := map[string]string{}
	inAudio, seenAudio := false, false
	for _, line := range strings.Split(strings.ReplaceAll(string(body), "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if len(line) < 2 || line[1] != '=' {
			continue
		}
		val := line[2:]
		switch line[0] {
		case 'm':
			if seenAudio {
				inAudio = false
				continue
			}
			f := strings.Fields(val)
			if len(f) >= 4 && f[0] == "audio" && strings.HasPrefix(f[2], "RTP/AVP") {
				p, err := strconv.Atoi(f[1])
				if err != nil || p < 0 || p > 65535 {
					return md, fmt.Errorf("sdp: bad port %q", f[1])
				}
				port, formats, inAudio, seenAudio = p, f[3:], true, true
			} else {
				inAudio = false
			}
		case 'c':
			f := strings.Fields(val)
			if len(f) < 3 || f[0] != "IN" {
				return md, fmt.Errorf("sdp: bad connection line %q", line)
			}
			addr, _, _ := strings.Cut(f[2], "/")
			if inAudio {
				mediaAddr = addr
			} else if !seenAudio {
				sessionAddr = addr
			}
		case 'a':
			if !inAudio && seenAudio {
				continue
			}
			name, rest, _ := strings.Cut(val, ":")
			switch name {
			case "rtpmap":
				pt, enc, _ := strings.Cut(rest, " ")
				rtpmap[pt] = strings.ToLower(enc)
			case "ptime":
				md.Ptime, _ = strconv.Atoi(strings.TrimSpace(rest))
			case "inactive", "sendonly":
				md.Inactive = true
			}
		}
	}
	if !seenAudio {
		return md, errors.New("sdp: no audio stream")
	}
	host := mediaAddr
	if host == "" {
		host = sessionAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return md, fmt.Errorf("sdp: bad address %q", host)
	}
	md.Addr = netip.AddrPortFrom(ip, uint16(port))
	for _, f := range formats {
		enc := rtpmap[f]
		switch {
		case f == "0" || strings.HasPrefix(enc, "pcmu/8000"):
			md.Codecs = appendCodec(md.Codecs, PCMU)
		case f == "8" || strings.HasPrefix(enc, "pcma/8000"):
			md.Codecs = appendCodec(md.Codecs, PCMA)
		case strings.HasPrefix(enc, "telephone-event/8000"):
			// Dynamic payload types are 96-127 (RFC 3551); anything
			// outside 0-127 cannot be an RTP payload type at all.
			if pt, err := strconv.Atoi(f); err == nil && pt >= 0 && pt <= 127 && md.DTMFPT < 0 {
				md.DTMFPT = pt
			}
		}
	}
	if port == 0 || len(md.Codecs) == 0 {
		return md, ErrNoCommonCodec
	}
	return md, nil
}

func appendCodec(cs []Codec, c Codec) []Codec {
	for _, x := range cs {
		if x == c {
			return cs
		}
	}
	return append(cs, c)
}

// buildSDP writes our side of the session: the codecs in order, telephone-
// event on dtmfPT (none if negative) and 20 ms packets. version must grow
// by one whenever the description changes within a dialog (RFC 3264 §8).
func buildSDP(ip netip.Addr, port int, sessID, version uint64, codecs []Codec, dtmfPT int) []byte {
	family := "IP4"
	if ip.Is6() && !ip.Is4In6() {
		family = "IP6"
	}
	addr := ip.Unmap().String()
	var b strings.Builder
	fmt.Fprintf(&b, "v=0\r\no=doithoai %d %d IN %s %s\r\ns=doithoai\r\nc=IN %s %s\r\nt=0 0\r\n", sessID, version, family, addr, family, addr)
	fmt.Fprintf(&b, "m=audio %d RTP/AVP", port)
	for _, c := range codecs {
		fmt.Fprintf(&b, " %d", c.PayloadType)
	}
	if dtmfPT >= 0 {
		fmt.Fprintf(&b, " %d", dtmfPT)
	}
	b.WriteString("\r\n")
	for _, c := range codecs {
		fmt.Fprintf(&b, "a=rtpmap:%d %s/8000\r\n", c.PayloadType, c.Name)
	}
	if dtmfPT >= 0 {
		fmt.Fprintf(&b, "a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-15\r\n", dtmfPT, dtmfPT)
	}
	b.WriteString("a=ptime:20\r\na=sendrecv\r\n")
	return []byte(b.String())
}
