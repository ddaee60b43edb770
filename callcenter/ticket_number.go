package callcenter

import "crypto/rand"

// ticketNumberLen digits from 2-9 give 8^8 ≈ 16.7 million numbers: few
// enough digits to write down from a phone call, and no 0/1 that read like
// O/I when the number is typed into the web tracking page.
const ticketNumberLen = 8

func newTicketNumber() string {
	b := make([]byte, ticketNumberLen)
	rand.Read(b)
	for i := range b {
		b[i] = '2' + b[i]%8
	}
	return string(b)
}
