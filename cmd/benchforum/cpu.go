package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// CPU accounting from /proc, to say where the cores went during a run:
// the node, PostgreSQL (postmaster and every backend) and this process
// (the load generator, and the hello-world server when that is measured).

const clockTicks = 100 // USER_HZ on Linux

// procTicks returns utime+stime of pid and its parent's pid.
func procTicks(pid int) (ticks int64, ppid int, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0, false
	}
	s := string(b)
	// The command name is in parentheses and may hold spaces.
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return ut + st, ppid, true
}

// treeTicks sums the CPU ticks of root and its direct children (PostgreSQL
// backends are children of the postmaster). Backends that exited during
// the run are not counted; the pools keep theirs open.
func treeTicks(root int) int64 {
	if root <= 0 {
		return 0
	}
	total, _, _ := procTicks(root)
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if t, ppid, ok := procTicks(pid); ok && ppid == root {
			total += t
		}
	}
	return total
}

// machineBusyTicks is the machine's busy time (all CPUs, all processes)
// from /proc/stat, so that what other processes took is visible.
func machineBusyTicks() int64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	var busy int64
	for i, v := range f[1:] {
		n, _ := strconv.ParseInt(v, 10, 64)
		if i != 3 && i != 4 && i < 8 { // not idle, not iowait; no guest (already in user)
			busy += n
		}
	}
	return busy
}

// cpuSnapshot is the ticks of the three parties, and of the whole
// machine, at one moment.
type cpuSnapshot struct {
	at                           time.Time
	node, pg, generator, machine int64
}

func takeCPU(nodePID, pgPID int) cpuSnapshot {
	s := cpuSnapshot{at: time.Now(), machine: machineBusyTicks(), pg: treeTicks(pgPID)}
	if nodePID > 0 {
		s.node, _, _ = procTicks(nodePID)
	}
	s.generator, _, _ = procTicks(os.Getpid())
	return s
}

// cpuShare is each party's use in cores (1.0 = one core busy); Other is
// what the rest of the machine took meanwhile (other processes, kernel).
type cpuShare struct{ Node, PG, Generator, Other float64 }

func (a cpuSnapshot) to(b cpuSnapshot) cpuShare {
	sec := b.at.Sub(a.at).Seconds() * clockTicks
	if sec <= 0 {
		return cpuShare{}
	}
	c := cpuShare{Node: float64(b.node-a.node) / sec, PG: float64(b.pg-a.pg) / sec, Generator: float64(b.generator-a.generator) / sec}
	c.Other = max(0, float64(b.machine-a.machine)/sec-c.Node-c.PG-c.Generator)
	return c
}

// postmasterPID reads the server's pid from postmaster.pid.
func postmasterPID(serverDir string) int {
	b, err := os.ReadFile(filepath.Join(serverDir, "pg", "postmaster.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	return pid
}
