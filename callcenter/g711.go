package callcenter

// G.711 as described in ITU-T G.711: µ-law (PCMU, payload type 0) and A-law
// (PCMA, payload type 8), 8 kHz, one byte per sample. Encoding goes through
// 64 KiB lookup tables built once, because every sample of every call passes
// through it on the hot path.

var (
	ulawEncodeTable [65536]byte
	alawEncodeTable [65536]byte
	ulawDecodeTable [256]int16
	alawDecodeTable [256]int16
)

func init() {
	for i := range 65536 {
		s := int16(uint16(i))
		ulawEncodeTable[i] = encodeULawSample(s)
		alawEncodeTable[i] = encodeALawSample(s)
	}
	for i := range 256 {
		ulawDecodeTable[i] = decodeULawSample(byte(i))
		alawDecodeTable[i] = decodeALawSample(byte(i))
	}
}

// Codec is one of the two G.711 laws with its static RTP payload type.
type Codec struct {
	Name        string // SDP encoding name: PCMU or PCMA
	PayloadType uint8
}

var (
	PCMU = Codec{Name: "PCMU", PayloadType: 0}
	PCMA = Codec{Name: "PCMA", PayloadType: 8}
)

// Encode appends the G.711 encoding of pcm to dst.
func (c Codec) Encode(dst []byte, pcm []int16) []byte {
	table := &ulawEncodeTable
	if c.PayloadType == PCMA.PayloadType {
		table = &alawEncodeTable
	}
	for _, s := range pcm {
		dst = append(dst, table[uint16(s)])
	}
	return dst
}

// Decode appends the linear samples of the G.711 payload to dst.
func (c Codec) Decode(dst []int16, payload []byte) []int16 {
	table := &ulawDecodeTable
	if c.PayloadType == PCMA.PayloadType {
		table = &alawDecodeTable
	}
	for _, b := range payload {
		dst = append(dst, table[b])
	}
	return dst
}

// SilenceByte is the encoding of a zero sample, used to fill silent frames.
func (c Codec) SilenceByte() byte {
	if c.PayloadType == PCMA.PayloadType {
		return 0xD5
	}
	return 0xFF
}

func encodeULawSample(pcm int16) byte {
	const bias, clip = 0x84, 32635
	s := int32(pcm)
	var sign byte
	if s < 0 {
		s = -s
		sign = 0x80
	}
	if s > clip {
		s = clip
	}
	s += bias
	exp := 7
	for mask := int32(0x4000); s&mask == 0 && exp > 0; mask >>= 1 {
		exp--
	}
	mant := byte((s >> (exp + 3)) & 0x0F)
	return ^(sign | byte(exp<<4) | mant)
}

func decodeULawSample(u byte) int16 {
	u = ^u
	exp := (u >> 4) & 0x07
	s := ((int32(u&0x0F) << 3) + 0x84) << exp
	s -= 0x84
	if u&0x80 != 0 {
		return int16(-s)
	}
	return int16(s)
}

func encodeALawSample(pcm int16) byte {
	v := int32(pcm) >> 3 // A-law works on 13-bit magnitudes
	mask := byte(0xD5)
	if v < 0 {
		mask = 0x55
		v = -v - 1
	}
	seg := 0
	for end := int32(0x1F); seg < 8 && v > end; end = end<<1 | 1 {
		seg++
	}
	if seg >= 8 {
		return 0x7F ^ mask
	}
	a := byte(seg << 4)
	if seg < 2 {
		a |= byte(v>>1) & 0x0F
	} else {
		a |= byte(v>>seg) & 0x0F
	}
	return a ^ mask
}

func decodeALawSample(a byte) int16 {
	a ^= 0x55
	t := int32(a&0x0F) << 4
	seg := (a & 0x70) >> 4
	switch seg {
	case 0:
		t += 8
	case 1:
		t += 0x108
	default:
		t += 0x108
		t <<= seg - 1
	}
	if a&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}
