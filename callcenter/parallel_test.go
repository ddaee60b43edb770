package callcenter

import (
	"flag"
	"strconv"
)

// testParallel is how many tests of this package run at once when
// -test.parallel is not given. Its tests spend their time waiting on real
// time (prompts played at 50 packets a second, RTP and SIP timeouts, a
// caller speaking), not on the CPU, so the default of GOMAXPROCS (2 on the
// CI machine) would leave the package as slow as running them one by one.
// Every test has its own SIP and RTP ports (port 0, or a band of its own:
// testPortRange) and its own store (a MemoryStore, or a database cloned by
// testenv.NewDB), so they do not see each other.
const testParallel = 8

// setTestParallel sets -test.parallel to testParallel unless the command
// line chose a value. It runs in TestMain, before m.Run reads the flag.
func setTestParallel() {
	if !flag.Parsed() {
		flag.Parse()
	}
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given {
		if err := flag.Set("test.parallel", strconv.Itoa(testParallel)); err != nil {
			panic(err)
		}
	}
}
