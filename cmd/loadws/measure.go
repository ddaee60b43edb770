package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// raiseNoFile lifts the open-file soft limit to the hard limit and, when
// want is above the hard limit, tries to lift that too (root with
// CAP_SYS_RESOURCE may). Processes started afterwards inherit the result.
func raiseNoFile(want uint64) (soft, hard uint64, raiseErr error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, 0, err
	}
	if want > l.Max {
		n := syscall.Rlimit{Cur: want, Max: want}
		if raiseErr = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &n); raiseErr == nil {
			l = n
		}
	}
	if l.Cur < l.Max {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
	_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l)
	return l.Cur, l.Max, raiseErr
}

// procFiles reads a process's open-file limit and how many it has open.
func procFiles(pid int) (limit, open int) {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "Max open files") {
			if f := strings.Fields(strings.TrimPrefix(l, "Max open files")); len(f) > 0 {
				limit, _ = strconv.Atoi(f[0])
			}
		}
	}
	ents, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	return limit, len(ents)
}

// metrics reads the node's Prometheus gauges (unlabelled ones).
func metrics(base string) map[string]float64 {
	out := map[string]float64{}
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return out
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "#") || strings.Contains(l, "{") {
			continue
		}
		if k, v, ok := strings.Cut(l, " "); ok {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				out[k] = f
			}
		}
	}
	return out
}

// memory is the node's memory at one moment.
type memory struct {
	heap, stacks, rss float64 // heap in use, goroutine stacks, resident set: bytes
	afterGC           bool    // read just after a collection (heap is then close to live)
	gcs               float64
}

func (m memory) sub(o memory) memory {
	return memory{heap: m.heap - o.heap, stacks: m.stacks - o.stacks, rss: m.rss - o.rss}
}

func (m memory) per(n int) string {
	k := float64(n) * 1024
	return fmt.Sprintf("heap %.1f KB + stacks %.1f KB = %.1f KB (RSS %.1f KB)", m.heap/k, m.stacks/k, (m.heap+m.stacks)/k, m.rss/k)
}

// readMemory reads the node's heap and stacks from its metrics and its
// resident set from /proc here: at its open-file limit the node cannot
// open /proc itself, and its process metrics go missing.
func readMemory(base string, pid int) memory {
	m := metrics(base)
	return memory{heap: m["go_memstats_heap_inuse_bytes"], stacks: m["go_memstats_stack_inuse_bytes"],
		rss: vmRSS(pid), gcs: m["go_gc_duration_seconds_count"]}
}

func vmRSS(pid int) float64 {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb * 1024
		}
	}
	return 0
}

// memoryAfterGC waits (up to wait) for the node's next garbage collection
// and reads its memory soon after it (once the sweep is done), so that the
// heap figure is what is live rather than what awaits collection. An idle Go process collects at
// least every two minutes.
func memoryAfterGC(base string, pid int, wait time.Duration) memory {
	start := readMemory(base, pid)
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		if m := readMemory(base, pid); m.gcs > start.gcs {
			// The heap shrinks as the collector sweeps, in the background.
			time.Sleep(2 * time.Second)
			m = readMemory(base, pid)
			m.afterGC = true
			return m
		}
	}
	return readMemory(base, pid)
}

// cpuMeter accounts for the machine's CPU time over a phase: the node's,
// the generator's (this process and its workers), the node's PostgreSQL
// and everything else running on the machine meanwhile.
type cpuMeter struct {
	pgDir   string
	nodePid int
	gen     []int
	at      time.Time
	busy    uint64
	procs   map[string]uint64
}

func clockTicks(pid int) uint64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseUint(f[11], 10, 64)
	st, _ := strconv.ParseUint(f[12], 10, 64)
	return u + st
}

// pgPids lists the PostgreSQL server and its backends.
func pgPids(dataDir string) []int {
	data, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return nil
	}
	master, _ := strconv.Atoi(strings.SplitN(string(data), "\n", 2)[0])
	out := []int{master}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		s := string(st)
		if i := strings.LastIndexByte(s, ')'); i > 0 {
			if f := strings.Fields(s[i+2:]); len(f) > 1 && f[1] == strconv.Itoa(master) {
				out = append(out, pid)
			}
		}
	}
	return out
}

func machineTicks() (busy uint64) {
	data, _ := os.ReadFile("/proc/stat")
	line := strings.SplitN(string(data), "\n", 2)[0]
	for i, f := range strings.Fields(line)[1:] {
		v, _ := strconv.ParseUint(f, 10, 64)
		if i < 8 && i != 3 && i != 4 { // user nice system [idle iowait] irq softirq steal
			busy += v
		}
	}
	return busy
}

func (m *cpuMeter) sample() (map[string]uint64, uint64) {
	p := map[string]uint64{"node": clockTicks(m.nodePid)}
	for _, pid := range m.gen {
		p["generator"] += clockTicks(pid)
	}
	for _, pid := range pgPids(m.pgDir) {
		p["postgres"] += clockTicks(pid)
	}
	return p, machineTicks()
}

func (m *cpuMeter) start() {
	m.procs, m.busy = m.sample()
	m.at = time.Now()
}

// report says how busy the machine was since start, in cores.
func (m *cpuMeter) report() string {
	procs, busy := m.sample()
	const hz = 100 // USER_HZ on Linux
	secs := time.Since(m.at).Seconds()
	cores := func(t uint64) float64 { return float64(t) / hz / secs }
	total := busy - m.busy
	mine := uint64(0)
	parts := []string{}
	for _, k := range []string{"node", "generator", "postgres"} {
		d := procs[k] - m.procs[k]
		mine += d
		parts = append(parts, fmt.Sprintf("%s %.2f", k, cores(d)))
	}
	other := 0.0
	if total > mine {
		other = cores(total - mine)
	}
	return fmt.Sprintf("cpu (cores of %d, busy %.2f): %s, other processes %.2f", nproc(), cores(total), strings.Join(parts, ", "), other)
}

func nproc() int {
	n := 0
	data, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "processor") {
			n++
		}
	}
	return n
}

func loadavg() string {
	data, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
