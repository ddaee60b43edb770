// Command genpcap writes the G.711 RTP capture that SIPp plays in
// scripts/sipp/uac_pcap.xml: a caller who presses 1 (Vietnamese) and 3
// (topic "other": voicemail, no agents needed), then speaks a 440 Hz tone
// in PCMU, 20 ms frames, pressing 1 every 2 s so the recording consent is
// given whenever it is asked — the same walk cmd/sipload's hold mode does.
// The output is the same bytes on every run (fixed timestamps, SSRC and
// sequence numbers), so the pcap is not committed, only this generator:
//
//	go run ./scripts/sipp/genpcap -o scripts/sipp/hold.pcap -seconds 70
package main

import (
	"bufio"
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"os"

	"github.com/doithoai/doithoai/callcenter"
	"github.com/pion/rtp"
)

func main() {
	out := flag.String("o", "scripts/sipp/hold.pcap", "pcap file to write")
	seconds := flag.Int("seconds", 70, "length of the capture (1-600 s)")
	flag.Parse()
	if *seconds < 1 || *seconds > 600 {
		fmt.Fprintln(os.Stderr, "genpcap: -seconds must be 1-600")
		os.Exit(2)
	}
	if err := write(*out, *seconds); err != nil {
		fmt.Fprintln(os.Stderr, "genpcap:", err)
		os.Exit(1)
	}
}

func write(path string, seconds int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	// pcap global header: microsecond timestamps, Ethernet link type.
	var gh [24]byte
	binary.LittleEndian.PutUint32(gh[0:], 0xa1b2c3d4)
	binary.LittleEndian.PutUint16(gh[4:], 2)
	binary.LittleEndian.PutUint16(gh[6:], 4)
	binary.LittleEndian.PutUint32(gh[16:], 65535)
	binary.LittleEndian.PutUint32(gh[20:], 1)
	w.Write(gh[:])

	// Keys: at frame 10 (0.2 s) '1', at frame 30 '3', then '1' every 100
	// frames (2 s). A key takes 6 packets (RFC 4733: 3 updates, 3 ends).
	keyAt := map[int]byte{10: '1', 30: '3'}
	for f := 130; f < seconds*50; f += 100 {
		keyAt[f] = '1'
	}
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, SSRC: 0x5e1b0001, SequenceNumber: 1000, Timestamp: 16000}}
	pcm := make([]int16, 160)
	var digit byte
	var step int
	var digitTS uint32
	tone := 0
	for frame := range seconds * 50 {
		if d, ok := keyAt[frame]; ok && digit == 0 {
			digit, step, digitTS = d, 0, pkt.Timestamp
		}
		pkt.Marker = false
		if digit != 0 {
			pkt.PayloadType = 101
			pkt.Timestamp, pkt.Marker = digitTS, step == 0
			pkt.Payload = callcenter.EncodeTelephoneEvent(digit, step >= 3, uint16(160*min(step+1, 3)))
			if step++; step == 6 {
				digit = 0
			}
		} else {
			for i := range pcm {
				pcm[i] = int16(3000 * math.Sin(2*math.Pi*440*float64(tone)/8000))
				tone++
			}
			pkt.PayloadType = 0
			pkt.Timestamp = 16000 + uint32(frame)*160
			pkt.Payload = callcenter.PCMU.Encode(nil, pcm)
		}
		b, err := pkt.Marshal()
		if err != nil {
			return err
		}
		writeFrame(w, frame, b)
		pkt.SequenceNumber++
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// writeFrame writes one Ethernet/IPv4/UDP record at frame·20 ms. SIPp
// rewrites addresses and ports, so they are placeholders.
func writeFrame(w *bufio.Writer, frame int, payload []byte) {
	udpLen := 8 + len(payload)
	ipLen := 20 + udpLen
	n := 14 + ipLen
	var rec [16]byte
	us := uint64(frame) * 20000
	binary.LittleEndian.PutUint32(rec[0:], uint32(1_700_000_000+us/1e6))
	binary.LittleEndian.PutUint32(rec[4:], uint32(us%1e6))
	binary.LittleEndian.PutUint32(rec[8:], uint32(n))
	binary.LittleEndian.PutUint32(rec[12:], uint32(n))
	w.Write(rec[:])
	eth := [14]byte{12: 0x08, 13: 0x00}
	w.Write(eth[:])
	ip := [20]byte{0: 0x45, 8: 64, 9: 17, 12: 127, 15: 1, 16: 127, 19: 1}
	binary.BigEndian.PutUint16(ip[2:], uint16(ipLen))
	binary.BigEndian.PutUint16(ip[4:], uint16(frame))
	var sum uint32
	for i := 0; i < 20; i += 2 {
		sum += uint32(binary.BigEndian.Uint16(ip[i:]))
	}
	for sum > 0xffff {
		sum = sum&0xffff + sum>>16
	}
	binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
	w.Write(ip[:])
	var udp [8]byte
	binary.BigEndian.PutUint16(udp[0:], 6000)
	binary.BigEndian.PutUint16(udp[2:], 6000)
	binary.BigEndian.PutUint16(udp[4:], uint16(udpLen))
	w.Write(udp[:])
	w.Write(payload)
}
