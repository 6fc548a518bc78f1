// Command loadgen drives a Yjs WebSocket server with many clients of the
// y-websocket or Hocuspocus dialect, and measures what users feel: the
// latency from an update's send to its arrival at every other client of the
// document, the throughput the server sustains, its memory per idle
// connection and how fast clients connect and sync.
//
// Every client types one character per interval as a valid Yjs update
// (a text insert after its own previous character). Each receiver reads the
// sender's client id and clock from the broadcast update and looks up when
// it was sent; all clients live in this process, so one clock serves both
// ends. Connections run on the same epoll loop as the server (package ws),
// so that one core of load generator can keep up with the server.
//
// Modes:
//
//	load  -docs D -clients C -rate R: D documents x C clients, R updates
//	      per client per second, for -duration after -warmup.
//	idle  -docs D -clients C: connect and sync D x C clients, then report
//	      the connection rate and the server's RSS per connection (-pid).
//	join  -joiners J -docsize B: fill one document with B bytes, then
//	      connect J clients at once and time until all have it.
//	report FILE...: Markdown tables of the medians of earlier results.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"net"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tandem-docs/tandem/collab/ws"
)

var (
	addr     = flag.String("addr", "127.0.0.1:8080", "server host:port; several, comma-separated, are instances of one fleet: the clients of each document are spread over them")
	path     = flag.String("path", "/collab", "URL path prefix: y-websocket clients dial {path}/{doc}, Hocuspocus clients dial {path}")
	dialect  = flag.String("dialect", "yws", "yws (y-websocket) or hp (Hocuspocus)")
	mode     = flag.String("mode", "load", "load, idle or join")
	docs     = flag.Int("docs", 100, "documents")
	clients  = flag.Int("clients", 5, "clients per document")
	rate     = flag.Float64("rate", 2, "updates per client per second")
	duration = flag.Duration("duration", 20*time.Second, "measured time")
	warmup   = flag.Duration("warmup", 3*time.Second, "unmeasured time before")
	pid      = flag.String("pid", "", "server process ids (comma-separated), for their RSS and CPU time")
	joiners  = flag.Int("joiners", 150, "join mode: clients joining at once")
	docSize  = flag.Int("docsize", 20<<20, "join mode: document size in bytes")
	label    = flag.String("label", "", "name of the server in the JSON result")
	token    = flag.String("token", "bench:rw", "token sent by clients")
	dialers  = flag.Int("dialers", 32, "concurrent connection attempts")
	cpuprof  = flag.String("cpuprofile", "", "write the generator's CPU profile here")
)

// Result is one line of JSON output.
type Result struct {
	Server       string  `json:"server"`
	Dialect      string  `json:"dialect"`
	Mode         string  `json:"mode"`
	Docs         int     `json:"docs,omitempty"`
	Clients      int     `json:"clients_per_doc,omitempty"`
	Rate         float64 `json:"rate_per_client,omitempty"`
	UpdatesIn    float64 `json:"updates_in_per_s,omitempty"`
	Deliveries   float64 `json:"deliveries_per_s,omitempty"`
	Expected     float64 `json:"expected_deliveries_per_s,omitempty"`
	P50ms        float64 `json:"p50_ms,omitempty"`
	P99ms        float64 `json:"p99_ms,omitempty"`
	P999ms       float64 `json:"p999_ms,omitempty"`
	Instances    int     `json:"instances,omitempty"`
	P99SameMs    float64 `json:"p99_same_instance_ms,omitempty"`
	P99CrossMs   float64 `json:"p99_cross_instance_ms,omitempty"`
	P50CrossMs   float64 `json:"p50_cross_instance_ms,omitempty"`
	Maxms        float64 `json:"max_ms,omitempty"`
	Lost         int64   `json:"undelivered,omitempty"`
	Acks         float64 `json:"acks_per_s,omitempty"`
	ServerCPU    float64 `json:"server_cpu,omitempty"`
	RSSMB        float64 `json:"server_rss_mb,omitempty"`
	Conns        int     `json:"connections,omitempty"`
	ConnPerS     float64 `json:"connections_with_sync_per_s,omitempty"`
	RSSPerConnKB float64 `json:"rss_per_connection_kb,omitempty"`
	JoinSeconds  float64 `json:"all_joined_s,omitempty"`
	JoinBytes    int     `json:"join_bytes,omitempty"`
	ClosedByPeer int64   `json:"closed,omitempty"`
	GeneratorCPU float64 `json:"generator_cpu,omitempty"`
	// How much the machine's other work got in the way: the time the
	// server's and the generator's threads spent runnable but waiting for
	// a CPU (per second of measurement), how busy each core was in all,
	// and the load average when the run started.
	ServerRunqWait    float64   `json:"server_runqueue_wait,omitempty"`
	GeneratorRunqWait float64   `json:"generator_runqueue_wait,omitempty"`
	CoreBusy          []float64 `json:"core_busy,omitempty"`
	LoadAvg           float64   `json:"loadavg,omitempty"`
	ServerVersion     string    `json:"-"`
}

func main() {
	flag.Parse()
	if *cpuprof != "" {
		f, err := os.Create(*cpuprof)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	if *label == "" {
		*label = *addr
	}
	// Spread connections over 127.0.0.2-127.0.0.33 as source addresses.
	var local []net.IP
	if strings.HasPrefix(*addr, "127.") {
		for i := range 32 {
			local = append(local, net.IPv4(127, 0, 0, byte(2+i)))
		}
	}
	loop, err := ws.NewLoop(ws.Config{MaxMessageBytes: 512 << 20, SendQueueBytes: 512 << 20, PingAfter: time.Hour, IdleTimeout: 2 * time.Hour, LocalIPs: local})
	if err != nil {
		log.Fatal(err)
	}
	if *mode == "report" {
		if err := report(os.Stdout, flag.Args()); err != nil {
			log.Fatal(err)
		}
		return
	}
	g := &gen{loop: loop, hp: *dialect == "hp"}
	var res Result
	switch *mode {
	case "load":
		res = g.load()
	case "idle":
		res = g.idle()
	case "join":
		res = g.join()
	default:
		log.Fatalf("unknown mode %q", *mode)
	}
	res.Server, res.Dialect, res.Mode = *label, *dialect, *mode
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
	g.stopping.Store(true)
	loop.Close()
}

type gen struct {
	loop    *ws.Loop
	hp      bool
	clients []*client
	byID    map[uint64]*client

	measuring atomic.Bool
	hist      hist
	same      hist // deliveries between clients of one instance
	cross     hist // and between instances
	delivered atomic.Int64
	acks      atomic.Int64
	closed    atomic.Int64
	stopping  atomic.Bool
	synced    atomic.Int64
	joinedAt  atomic.Int64
}

type client struct {
	g      *gen
	addr   string // the instance it connects to
	id     uint64 // Yjs client id
	doc    string
	prefix []byte // Hocuspocus document prefix
	conn   *ws.Conn
	clock  uint64
	sent   []atomic.Int64 // send time by clock, a ring
	synced atomic.Bool
	want   int // join mode: bytes of the step 2 to expect
}

const ring = 1 << 12

func (g *gen) newClient(doc string, id uint64) *client {
	// The first server by default; setup spreads the load clients over
	// all of -addr.
	first, _, _ := strings.Cut(*addr, ",")
	c := &client{g: g, id: id, doc: doc, addr: first, sent: make([]atomic.Int64, ring)}
	if g.hp {
		c.prefix = appendVarString(nil, doc)
	}
	return c
}

// connect dials and starts the sync: y-websocket clients send step 1 at
// once; Hocuspocus clients authenticate first.
func (c *client) connect() error {
	p := *path + "/" + c.doc
	if c.g.hp {
		p = *path
		if p == "" {
			p = "/"
		}
	}
	if !c.g.hp {
		p += "?token=" + *token
	}
	conn, err := c.g.loop.Dial(c.addr, p, nil, c.g, c)
	if err != nil {
		return err
	}
	c.conn = conn
	if c.g.hp {
		m := append([]byte(nil), c.prefix...)
		m = append(m, 2, 0)
		m = appendVarString(m, *token)
		m = appendVarString(m, "4.7.0")
		conn.Queue(m)
		step1 := append(append([]byte(nil), c.prefix...), 0, 0, 1, 0)
		conn.Queue(step1)
		conn.Flush()
		return nil
	}
	conn.Send([]byte{0, 0, 1, 0})
	return nil
}

// update is a one-character insert after the client's previous one.
func (c *client) update(s string) []byte {
	u := []byte{1, 1}
	u = appendVarUint(u, c.id)
	u = appendVarUint(u, c.clock)
	if c.clock == 0 {
		u = append(u, 0x04, 1)
		u = appendVarString(u, "text")
	} else {
		u = append(u, 0x84)
		u = appendVarUint(u, c.id)
		u = appendVarUint(u, c.clock-1)
	}
	u = appendVarString(u, s)
	u = append(u, 0)
	c.clock += uint64(len(s))
	return u
}

func (c *client) send() {
	clock := c.clock
	u := c.update("x")
	m := append([]byte(nil), c.prefix...)
	m = append(m, 0, 2)
	m = appendVarUint(m, uint64(len(u)))
	m = append(m, u...)
	c.sent[clock%ring].Store(time.Now().UnixNano())
	c.conn.Send(m)
}

// Message implements ws.Handler (on the loop goroutine).
func (g *gen) Message(conn *ws.Conn, msg []byte, b *ws.Batch) {
	c := conn.Session().(*client)
	if g.hp {
		if len(msg) == 1 && msg[0] == 9 { // Ping
			b.Queue(conn, []byte{10})
			return
		}
		_, rest, err := readVarBytes(msg)
		if err != nil {
			return
		}
		msg = rest
	}
	if len(msg) < 2 {
		return
	}
	switch msg[0] {
	case 0: // sync
		switch msg[1] {
		case 0: // server's step 1: answer with an empty step 2
			b.Queue(conn, append(append([]byte(nil), c.prefix...), 0, 1, 2, 0, 0))
		case 1: // step 2
			p, _, err := readVarBytes(msg[2:])
			if err == nil && len(p) >= c.want && !c.synced.Swap(true) {
				g.synced.Add(1)
				g.joinedAt.Store(time.Now().UnixNano())
			}
		case 2:
			p, _, err := readVarBytes(msg[2:])
			if err != nil {
				return
			}
			g.received(c, p)
		}
	case 8: // SyncStatus
		if g.measuring.Load() {
			g.acks.Add(1)
		}
	}
}

// MessageChunk implements ws.ChunkHandler: large messages (only an
// initial sync is large here) are counted as they stream in, not stored.
func (g *gen) MessageChunk(conn *ws.Conn, chunk []byte, first, last bool, total int64) {
	c := conn.Session().(*client)
	if last && total >= int64(c.want) && !c.synced.Swap(true) {
		g.synced.Add(1)
		g.joinedAt.Store(time.Now().UnixNano())
	}
}

// received records the delivery latency of every character in a
// broadcast update. Servers may merge several clients' updates into one
// message (Hocuspocus 4 does within an event-loop turn), so the update is
// walked struct by struct: each of the generator's characters is one item
// of one clock, sent as its own update.
func (g *gen) received(to *client, u []byte) {
	if !g.measuring.Load() {
		return
	}
	now := time.Now().UnixNano()
	clients, u, err := readVarUint(u)
	if err != nil {
		return
	}
	for range clients {
		var n, id, clock uint64
		if n, u, err = readVarUint(u); err != nil {
			return
		}
		if id, u, err = readVarUint(u); err != nil {
			return
		}
		if clock, u, err = readVarUint(u); err != nil {
			return
		}
		from := g.byID[id]
		for range n {
			var length uint64
			if length, u, err = structLen(u); err != nil {
				return
			}
			if from != nil && from != to {
				for k := clock; k < clock+length; k++ {
					if t0 := from.sent[k%ring].Load(); t0 != 0 {
						g.delivered.Add(1)
						g.hist.add(now - t0)
						if from.addr == to.addr {
							g.same.add(now - t0)
						} else {
							g.cross.add(now - t0)
						}
					}
				}
			}
			clock += length
		}
	}
}

// structLen skips one struct of a v1 update and returns its clock length.
// It knows the shapes this generator produces (GC, Skip, and string items
// under a root type) and fails on anything else.
func structLen(u []byte) (uint64, []byte, error) {
	if len(u) == 0 {
		return 0, nil, errShort
	}
	info := u[0]
	u = u[1:]
	var err error
	switch info & 0x1f {
	case 0, 10: // GC, Skip
		var n uint64
		n, u, err = readVarUint(u)
		return n, u, err
	case 4: // string content
	default:
		return 0, nil, errShort
	}
	skipID := func() {
		if err == nil {
			_, u, err = readVarUint(u)
		}
		if err == nil {
			_, u, err = readVarUint(u)
		}
	}
	if info&0x80 != 0 {
		skipID()
	}
	if info&0x40 != 0 {
		skipID()
	}
	if info&0xc0 == 0 {
		var parentIsKey uint64
		if parentIsKey, u, err = readVarUint(u); err != nil {
			return 0, nil, err
		}
		if parentIsKey == 1 {
			_, u, err = readVarString(u)
		} else {
			skipID()
		}
		if info&0x20 != 0 && err == nil {
			_, u, err = readVarString(u)
		}
	}
	if err != nil {
		return 0, nil, err
	}
	var s string
	if s, u, err = readVarString(u); err != nil {
		return 0, nil, err
	}
	n := uint64(0)
	for _, r := range s { // length in UTF-16 code units
		n++
		if r >= 0x10000 {
			n++
		}
	}
	return n, u, nil
}

// Closed implements ws.Handler.
func (g *gen) Closed(conn *ws.Conn, err *ws.CloseError) {
	if g.stopping.Load() {
		return
	}
	g.closed.Add(1)
	if err != nil && err.Code != 1000 && err.Code != 1005 {
		log.Printf("connection closed by the server: %v", err)
	}
}

// connectAll dials every client with a pool of dialers and waits for the
// initial syncs; it returns the elapsed time.
func (g *gen) connectAll(cs []*client) time.Duration {
	g.synced.Store(0)
	start := time.Now()
	work := make(chan *client)
	var wg sync.WaitGroup
	for range *dialers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				for attempt := 0; ; attempt++ {
					err := c.connect()
					if err == nil {
						break
					}
					if attempt == 5 {
						log.Fatalf("connect: %v", err)
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
		}()
	}
	for _, c := range cs {
		work <- c
	}
	close(work)
	wg.Wait()
	deadline := time.Now().Add(5 * time.Minute)
	for g.synced.Load() < int64(len(cs)) {
		if time.Now().After(deadline) {
			log.Fatalf("only %d of %d clients synced", g.synced.Load(), len(cs))
		}
		time.Sleep(time.Millisecond)
	}
	return time.Duration(g.joinedAt.Load() - start.UnixNano())
}

func (g *gen) setup() {
	g.byID = map[uint64]*client{}
	// Fresh Yjs client ids on every run: a server that kept the documents
	// of an earlier run would ignore repeated (client, clock) pairs.
	id := uint64(rand.Int32N(1<<30)) + 1<<20
	addrs := strings.Split(*addr, ",")
	for d := range *docs {
		name := fmt.Sprintf("bench-%d", d)
		for range *clients {
			c := g.newClient(name, id)
			c.addr = addrs[len(g.clients)%len(addrs)]
			g.byID[id] = c
			g.clients = append(g.clients, c)
			id++
		}
	}
}

func (g *gen) load() Result {
	g.setup()
	g.connectAll(g.clients)
	// Spread the sends evenly: every millisecond, the clients that are due.
	total := float64(len(g.clients)) * *rate
	cpu0 := procCPU(*pid)
	self0 := procCPU1(os.Getpid())
	stop := time.Now().Add(*warmup + *duration)
	measureAt := time.Now().Add(*warmup)
	var sent int64
	var measuredSent int64
	var sys0 sysSample
	load0 := loadAvg()
	var t0 time.Time
	start := time.Now()
	next := 0
	done := 0.0
	tick := time.NewTicker(time.Millisecond)
	for now := range tick.C {
		if now.After(stop) {
			break
		}
		if !g.measuring.Load() && now.After(measureAt) {
			g.measuring.Store(true)
			t0 = now
			cpu0 = procCPU(*pid)
			self0 = procCPU1(os.Getpid())
			sys0 = sampleSys()
			measuredSent = sent
		}
		want := now.Sub(start).Seconds() * total
		for done < want {
			g.clients[next].send()
			next = (next + 1) % len(g.clients)
			done++
			sent++
		}
	}
	tick.Stop()
	elapsed := time.Since(t0).Seconds()
	g.measuring.Store(false)
	cpu1 := procCPU(*pid)
	self1 := procCPU1(os.Getpid())
	sys1 := sampleSys()
	in := float64(sent-measuredSent) / elapsed
	time.Sleep(500 * time.Millisecond) // late deliveries still count as delivered, not as lost
	res := Result{Docs: *docs, Clients: *clients, Rate: *rate, UpdatesIn: in,
		Deliveries: float64(g.delivered.Load()) / elapsed, Expected: in * float64(*clients-1),
		P50ms: g.hist.quantile(0.50), P99ms: g.hist.quantile(0.99), P999ms: g.hist.quantile(0.999), Maxms: g.hist.quantile(1),
		Acks: float64(g.acks.Load()) / elapsed, ClosedByPeer: g.closed.Load(),
		ServerCPU: (cpu1 - cpu0) / elapsed, GeneratorCPU: (self1 - self0) / elapsed, RSSMB: float64(procRSS(*pid)) / (1 << 20)}
	sys1.diff(sys0, elapsed, &res)
	res.LoadAvg = load0
	if n := len(strings.Split(*addr, ",")); n > 1 {
		res.Instances = n
		res.P99SameMs, res.P99CrossMs, res.P50CrossMs = g.same.quantile(0.99), g.cross.quantile(0.99), g.cross.quantile(0.5)
	}
	return res
}

func (g *gen) idle() Result {
	g.setup()
	rss0 := procRSS(*pid)
	cpu0, self0 := procCPU(*pid), procCPU1(os.Getpid())
	d := g.connectAll(g.clients)
	cpu1, self1 := procCPU(*pid), procCPU1(os.Getpid())
	time.Sleep(3 * time.Second)
	runtime.GC()
	rss1 := procRSS(*pid)
	n := len(g.clients)
	res := Result{Docs: *docs, Clients: *clients, Conns: n, ConnPerS: float64(n) / d.Seconds(),
		RSSMB: float64(rss1) / (1 << 20), ClosedByPeer: g.closed.Load(),
		ServerCPU: (cpu1 - cpu0) / d.Seconds(), GeneratorCPU: (self1 - self0) / d.Seconds()}
	if rss1 > 0 {
		res.RSSPerConnKB = float64(rss1-rss0) / float64(n) / 1024
	}
	return res
}

func (g *gen) join() Result {
	g.byID = map[uint64]*client{}
	// A writer fills the document in 1 MiB inserts.
	base := uint64(rand.Int32N(1<<30)) + 1<<20
	w := g.newClient("join-big", base)
	g.connectAll([]*client{w})
	chunk := strings.Repeat("j", 1<<20)
	for written := 0; written < *docSize; written += len(chunk) {
		u := w.update(chunk)
		m := append([]byte(nil), w.prefix...)
		m = append(m, 0, 2)
		m = appendVarUint(m, uint64(len(u)))
		m = append(m, u...)
		w.conn.Send(m)
	}
	// A probe that syncs after the writes learns the full size.
	probe := g.newClient("join-big", base+1)
	probe.want = *docSize
	time.Sleep(500 * time.Millisecond)
	g.connectAll([]*client{probe})
	var cs []*client
	for i := range *joiners {
		c := g.newClient("join-big", base+2+uint64(i))
		c.want = *docSize
		cs = append(cs, c)
	}
	cpu0, self0 := procCPU(*pid), procCPU1(os.Getpid())
	d := g.connectAll(cs)
	cpu1, self1 := procCPU(*pid), procCPU1(os.Getpid())
	return Result{Conns: len(cs), JoinSeconds: d.Seconds(), JoinBytes: *docSize, RSSMB: float64(procRSS(*pid)) / (1 << 20),
		ServerCPU: (cpu1 - cpu0) / d.Seconds(), GeneratorCPU: (self1 - self0) / d.Seconds()}
}

// hist is a latency histogram with 10 µs buckets up to 10 s.
type hist struct {
	mu      sync.Mutex
	buckets []uint32
	n       uint64
}

const bucketNS = 10_000

func (h *hist) add(ns int64) {
	b := ns / bucketNS
	h.mu.Lock()
	if h.buckets == nil {
		h.buckets = make([]uint32, 1_000_001)
	}
	if b >= int64(len(h.buckets)) {
		b = int64(len(h.buckets) - 1)
	}
	h.buckets[b]++
	h.n++
	h.mu.Unlock()
}

// quantile returns the q-quantile in milliseconds.
func (h *hist) quantile(q float64) float64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n == 0 {
		return 0
	}
	target := uint64(q * float64(h.n))
	if target >= h.n {
		target = h.n - 1
	}
	var acc uint64
	for i, c := range h.buckets {
		acc += uint64(c)
		if acc > target {
			return float64(i+1) * bucketNS / 1e6
		}
	}
	return 0
}

// procRSS reads a process's resident set size in bytes (0 if unknown).
// procRSS sums the resident memory of the processes in pids (a
// comma-separated list).
func procRSS(pids string) int64 {
	var n int64
	for _, p := range strings.Split(pids, ",") {
		var pid int
		if _, err := fmt.Sscan(p, &pid); err == nil && pid > 0 {
			n += procRSS1(pid)
		}
	}
	return n
}

func procRSS1(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb)
			return kb << 10
		}
	}
	return 0
}

// procCPU sums the user+system CPU time, in seconds, of the processes in
// pids (a comma-separated list).
func procCPU(pids string) float64 {
	var n float64
	for _, p := range strings.Split(pids, ",") {
		var pid int
		if _, err := fmt.Sscan(p, &pid); err == nil && pid > 0 {
			n += procCPU1(pid)
		}
	}
	return n
}

func procCPU1(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	f := strings.Fields(s[i+2:])
	if len(f) < 13 {
		return 0
	}
	var ut, st float64
	fmt.Sscan(f[11], &ut)
	fmt.Sscan(f[12], &st)
	return (ut + st) / 100 // clock ticks (USER_HZ is 100 on Linux)
}

// sysSample is what the kernel says about contention: the run-queue wait of
// the server's and the generator's threads (schedstat, nanoseconds) and
// every core's busy and total time (/proc/stat, clock ticks).
type sysSample struct {
	serverWait, selfWait int64
	busy, total          []int64
}

func sampleSys() sysSample {
	var s sysSample
	for _, p := range strings.Split(*pid, ",") {
		var n int
		if _, err := fmt.Sscan(p, &n); err == nil && n > 0 {
			s.serverWait += runqWait(n)
		}
	}
	s.selfWait = runqWait(os.Getpid())
	b, _ := os.ReadFile("/proc/stat")
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 8 || !strings.HasPrefix(f[0], "cpu") || f[0] == "cpu" {
			continue
		}
		var busy, total int64
		for i, v := range f[1:] {
			var x int64
			fmt.Sscan(v, &x)
			total += x
			if i != 3 && i != 4 { // idle, iowait
				busy += x
			}
		}
		s.busy = append(s.busy, busy)
		s.total = append(s.total, total)
	}
	return s
}

// runqWait sums the run-queue wait of a process's threads.
func runqWait(pid int) int64 {
	dirs, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	var n int64
	for _, d := range dirs {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, d.Name()))
		if err != nil {
			continue
		}
		var run, wait int64
		fmt.Sscan(string(b), &run, &wait)
		n += wait
	}
	return n
}

func (s sysSample) diff(s0 sysSample, elapsed float64, r *Result) {
	r.ServerRunqWait = float64(s.serverWait-s0.serverWait) / 1e9 / elapsed
	r.GeneratorRunqWait = float64(s.selfWait-s0.selfWait) / 1e9 / elapsed
	for i := range min(len(s.busy), len(s0.busy)) {
		if t := s.total[i] - s0.total[i]; t > 0 {
			r.CoreBusy = append(r.CoreBusy, float64(s.busy[i]-s0.busy[i])/float64(t))
		}
	}
}

func loadAvg() float64 {
	b, _ := os.ReadFile("/proc/loadavg")
	var l float64
	fmt.Sscan(string(b), &l)
	return l
}
