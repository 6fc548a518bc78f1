package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sys/unix"
)

// pinPostgres runs the PostgreSQL server of adminDSN (its postmaster and
// every process under it, and so the backends it forks from now on) on
// cpus, as taskset would, and returns what puts every one of them back on
// the postmaster's CPUs of before. It must run on the database's machine,
// as a user allowed to change the server's affinity (root, or postgres).
//
// Why: in a deployment the database has a machine of its own. On this
// two-core machine, a PostgreSQL backend woken by the pinned server tends
// to run on the server's core and queue behind it, so that the API's
// latency measures that contention rather than the server.
func pinPostgres(ctx context.Context, adminDSN, cpus string) (restore func() error, err error) {
	set, err := cpuSet(cpus)
	if err != nil {
		return nil, err
	}
	conn, err := pgx.Connect(ctx, adminDSN)
	if err != nil {
		return nil, err
	}
	var dataDir string
	err = conn.QueryRow(ctx, "SHOW data_directory").Scan(&dataDir)
	conn.Close(ctx)
	if err != nil {
		return nil, fmt.Errorf("pin postgres: %w", err)
	}
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return nil, fmt.Errorf("pin postgres (it must run on this machine): %w", err)
	}
	first, _, _ := strings.Cut(string(b), "\n")
	postmaster, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		return nil, fmt.Errorf("pin postgres: postmaster.pid: %w", err)
	}
	var before unix.CPUSet
	if err := unix.SchedGetaffinity(postmaster, &before); err != nil {
		return nil, fmt.Errorf("pin postgres: %w", err)
	}
	restore = func() error {
		var err error
		for _, pid := range append([]int{postmaster}, children(postmaster)...) {
			if e := unix.SchedSetaffinity(pid, &before); e != nil && e != unix.ESRCH {
				err = fmt.Errorf("restore the affinity of postgres process %d: %w", pid, e)
			}
		}
		return err
	}
	for _, pid := range append([]int{postmaster}, children(postmaster)...) {
		if e := unix.SchedSetaffinity(pid, &set); e != nil && e != unix.ESRCH {
			restore()
			return nil, fmt.Errorf("pin postgres process %d: %w", pid, e)
		}
	}
	return restore, nil
}

// cpuSet parses a CPU list such as "1" or "0,1".
func cpuSet(list string) (unix.CPUSet, error) {
	var set unix.CPUSet
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			return set, fmt.Errorf("CPU list %q: want numbers separated by commas", list)
		}
		set.Set(n)
	}
	return set, nil
}

// children lists the processes whose parent is pid (PostgreSQL's processes
// are all the postmaster's children).
func children(pid int) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		child, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", child))
		if err != nil {
			continue
		}
		// Field 4 is the parent; the command name (field 2) may hold
		// spaces, so count from its closing parenthesis.
		i := strings.LastIndexByte(string(b), ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(string(b[i+1:]))
		if len(fields) > 1 && fields[1] == strconv.Itoa(pid) {
			out = append(out, child)
		}
	}
	return out
}
