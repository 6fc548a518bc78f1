package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// server is a running `tandem serve` process.
type server struct {
	cmd  *exec.Cmd
	pid  int
	url  string
	done chan struct{}
	err  error // the process's exit, once done is closed

	logLines atomic.Int64 // lines it wrote to stderr (its log)
	mu       sync.Mutex
	problems []string // its last warnings and errors
	// handler holds, while recording, the duration_ms of every request
	// its access log reported: the time from the middleware's start to
	// the response's last write, without the waits before the handler
	// runs (kernel, network poller, run queue) that the generator's
	// latencies include.
	recording bool
	handler   []time.Duration
}

// record starts (on) or stops collecting the access log's durations, and
// returns those collected since the last start.
func (s *server) record(on bool) []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	got := s.handler
	s.recording, s.handler = on, nil
	return got
}

// startServer starts bin serve pinned to cpu (taskset) with the given
// settings, and waits until it is ready.
func startServer(ctx context.Context, cpu string, settings map[string]string, bin string, args ...string) (*server, error) {
	cmd := exec.Command(bin, args...)
	if cpu != "" {
		// taskset execs tandem: the process id stays the server's.
		cmd = exec.Command("taskset", append([]string{"-c", cpu, bin}, args...)...)
	}
	// A clean environment: only the settings given, so that nothing of
	// the caller's TANDEM_* leaks in.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range settings {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	s := &server{cmd: cmd, pid: cmd.Process.Pid, done: make(chan struct{})}
	started := make(chan string, 1)
	go s.readLog(stderr, started)
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	select {
	case u := <-started:
		s.url = u
	case <-s.done:
		return nil, fmt.Errorf("tandem exited before it started: %v; log: %s", s.err, strings.Join(s.lastProblems(), " | "))
	case <-time.After(60 * time.Second):
		s.stop()
		return nil, errors.New("tandem did not start within 60s")
	case <-ctx.Done():
		s.stop()
		return nil, ctx.Err()
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.url + "/readyz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("tandem not ready after 30s: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// readLog drains the server's log, as a log collector would, finds its
// URL in the start line and keeps its last warnings and errors.
func (s *server) readLog(r io.Reader, started chan<- string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		s.logLines.Add(1)
		line := sc.Bytes()
		if d, ok := accessDuration(line); ok {
			s.mu.Lock()
			if s.recording {
				s.handler = append(s.handler, d)
			}
			s.mu.Unlock()
			continue
		}
		if started != nil && strings.Contains(string(line), `"tandem started"`) {
			var rec struct {
				URL string `json:"url"`
			}
			if json.Unmarshal(line, &rec) == nil && rec.URL != "" {
				started <- rec.URL
				started = nil
			}
			continue
		}
		if strings.Contains(string(line), `"level":"WARN"`) || strings.Contains(string(line), `"level":"ERROR"`) {
			s.mu.Lock()
			s.problems = append(s.problems, string(line))
			if len(s.problems) > 5 {
				s.problems = s.problems[1:]
			}
			s.mu.Unlock()
		}
	}
}

// accessDuration reads duration_ms from an access-log line of Tandem's
// JSON log ({"msg":"request",...,"duration_ms":0.314,...}).
func accessDuration(line []byte) (time.Duration, bool) {
	const key = `"duration_ms":`
	if !bytes.Contains(line, []byte(`"msg":"request"`)) {
		return 0, false
	}
	i := bytes.Index(line, []byte(key))
	if i < 0 {
		return 0, false
	}
	rest := line[i+len(key):]
	if j := bytes.IndexAny(rest, ",}"); j > 0 {
		rest = rest[:j]
	}
	ms, err := strconv.ParseFloat(string(rest), 64)
	if err != nil {
		return 0, false
	}
	return time.Duration(ms * float64(time.Millisecond)), true
}

func (s *server) lastProblems() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.problems...)
}

// stop shuts the server down gracefully (SIGTERM), killing it if it takes
// longer than 30 seconds.
func (s *server) stop() error {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
		return errors.New("tandem did not stop within 30s of SIGTERM")
	}
	return s.err
}

// buildCommand builds the command pkg (./cmd/tandem, say) of the module the
// working directory is in, into dir/name.
func buildCommand(dir, pkg, name string) (string, error) {
	out := filepath.Join(dir, name)
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = moduleRoot()
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build %s: %w", pkg, err)
	}
	return out, nil
}

// moduleRoot is the directory of go.mod above the working directory.
func moduleRoot() string {
	dir, _ := os.Getwd()
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			return dir
		}
	}
}

// createDatabase creates a fresh PostgreSQL database on the server of
// adminDSN and returns its URL and a function that drops it.
func createDatabase(ctx context.Context, adminDSN string) (string, string, func(), error) {
	admin, err := pgx.Connect(ctx, adminDSN)
	if err != nil {
		return "", "", nil, fmt.Errorf("PostgreSQL: %w", err)
	}
	defer admin.Close(ctx)
	b := make([]byte, 6)
	rand.Read(b)
	name := "tandem_bench_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", "", nil, fmt.Errorf("create database: %w", err)
	}
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if admin, err := pgx.Connect(ctx, adminDSN); err == nil {
			admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
			admin.Close(ctx)
		}
	}
	u, err := url.Parse(adminDSN)
	if err != nil {
		drop()
		return "", "", nil, err
	}
	u.Path = "/" + name
	return u.String(), name, drop, nil
}

// Accounting of CPU time from /proc, in seconds.

const clockTicks = 100 // USER_HZ, 100 on Linux

// processCPU is the user and system time a process has used.
func processCPU(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces; fields count from
	// after its closing parenthesis.
	s := string(b)
	s = s[strings.LastIndexByte(s, ')')+2:]
	f := strings.Fields(s)
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / clockTicks
}

// backendsCPU is the CPU time of the PostgreSQL backends connected to
// database (their process titles name it).
func backendsCPU(database string) float64 {
	if database == "" {
		return 0
	}
	entries, _ := os.ReadDir("/proc")
	total := 0.0
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err != nil || !strings.HasPrefix(string(cmdline), "postgres: ") || !strings.Contains(string(cmdline), " "+database+" ") {
			continue
		}
		total += processCPU(pid)
	}
	return total
}

// cpuTimes is the busy and total time of each CPU (/proc/stat), in ticks.
type cpuTimes struct{ busy, total []float64 }

func readCPUTimes() cpuTimes {
	var t cpuTimes
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return t
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 8 || !strings.HasPrefix(f[0], "cpu") || f[0] == "cpu" {
			continue
		}
		var total, idle float64
		for i, x := range f[1:] {
			v, _ := strconv.ParseFloat(x, 64)
			if i < 8 { // user nice system idle iowait irq softirq steal
				total += v
			}
			if i == 3 || i == 4 {
				idle += v
			}
		}
		t.busy = append(t.busy, total-idle)
		t.total = append(t.total, total)
	}
	return t
}

// busySince returns the share of each CPU that was busy since t0.
func busySince(t0 cpuTimes) []float64 {
	t1 := readCPUTimes()
	var out []float64
	for i := range min(len(t0.busy), len(t1.busy)) {
		dt := t1.total[i] - t0.total[i]
		if dt <= 0 {
			out = append(out, 0)
			continue
		}
		out = append(out, (t1.busy[i]-t0.busy[i])/dt)
	}
	return out
}
