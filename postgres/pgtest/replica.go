package pgtest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Replica is a streaming replica of the test server, a second cluster on
// this machine.
type Replica struct {
	Port int
	dir  string // holds data/ and the log; removed when the test ends
	bin  string
}

// StartReplica makes a streaming hot-standby replica of the server AdminDSN
// names (which must run on this machine): pg_basebackup copies the cluster
// into a temporary directory, a second postgres starts there on a free
// port, and it streams the primary's WAL from then on. It is stopped and
// removed when the test ends. It takes a second or two.
//
// pg_basebackup needs a replication connection from 127.0.0.1 (a
// "host replication" line in pg_hba.conf; scripts/test-deps.sh adds it).
// PostgreSQL refuses to run as root, so as root the tools run as the
// postgres user. The binaries are those of the server's major version in
// /usr/lib/postgresql/N/bin, or TANDEM_TEST_PG_BINDIR.
func StartReplica(t testing.TB) *Replica {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, AdminDSN())
	if err != nil {
		t.Fatalf("PostgreSQL (TANDEM_TEST_POSTGRES_DSN): %v", err)
	}
	defer admin.Close(ctx)
	// A hot standby needs these at least as high as on its primary.
	var version int
	settings := map[string]string{}
	for _, name := range []string{"max_connections", "max_worker_processes", "max_wal_senders", "max_prepared_transactions", "max_locks_per_transaction"} {
		var v string
		if err := admin.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&v); err != nil {
			t.Fatal(err)
		}
		settings[name] = v
	}
	if err := admin.QueryRow(ctx, "SELECT current_setting('server_version_num')::int / 10000").Scan(&version); err != nil {
		t.Fatal(err)
	}
	bin := os.Getenv("TANDEM_TEST_PG_BINDIR")
	if bin == "" {
		bin = fmt.Sprintf("/usr/lib/postgresql/%d/bin", version)
	}
	u, err := url.Parse(AdminDSN())
	if err != nil {
		t.Fatal(err)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "5432"
	}
	if host == "" {
		host = "127.0.0.1"
	}
	pgUser := u.User.Username()

	dir, err := os.MkdirTemp("", "tandem-replica-")
	if err != nil {
		t.Fatal(err)
	}
	r := &Replica{dir: dir, bin: bin}
	t.Cleanup(func() {
		r.stop()
		os.RemoveAll(dir)
	})
	uid, gid := -1, -1
	if os.Geteuid() == 0 {
		pu, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root, a replica needs the postgres user: %v", err)
		}
		uid, _ = strconv.Atoi(pu.Uid)
		gid, _ = strconv.Atoi(pu.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := r.run(ctx, "pg_basebackup", "-h", host, "-p", port, "-U", pgUser, "-D", data,
		"--wal-method=stream", "--write-recovery-conf", "--checkpoint=fast", "--no-sync"); err != nil {
		t.Fatalf("pg_basebackup: %v\n%s\n(is replication from 127.0.0.1 allowed in pg_hba.conf? scripts/test-deps.sh allows it)", err, out)
	}
	r.Port = freePort(t)
	// Debian keeps the configuration outside the data directory, so the
	// copy has none: the replica gets its own.
	conf := fmt.Sprintf("port = %d\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\n"+
		"hot_standby = on\nfsync = off\nshared_buffers = 16MB\nlogging_collector = off\n", r.Port, dir)
	for name, v := range settings {
		conf += name + " = " + v + "\n"
	}
	hba := "local all all trust\nhost all all 127.0.0.1/32 trust\n"
	for name, text := range map[string]string{"postgresql.conf": conf, "pg_hba.conf": hba} {
		p := filepath.Join(data, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if uid >= 0 {
			if err := os.Chown(p, uid, gid); err != nil {
				t.Fatal(err)
			}
		}
	}
	logFile := filepath.Join(dir, "postgres.log")
	if out, err := r.run(ctx, "pg_ctl", "-D", data, "-l", logFile, "-w", "-t", "30", "start"); err != nil {
		log, _ := os.ReadFile(logFile)
		t.Fatalf("start replica: %v\n%s\n%s", err, out, log)
	}
	return r
}

// DSN is the connection string of database on the replica.
func (r *Replica) DSN(database string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", r.Port, database)
}

// Stop stops the replica at once, as a crash would.
func (r *Replica) Stop(t testing.TB) {
	t.Helper()
	if out, err := r.stop(); err != nil {
		t.Fatalf("stop replica: %v\n%s", err, out)
	}
}

func (r *Replica) stop() ([]byte, error) {
	data := filepath.Join(r.dir, "data")
	if _, err := os.Stat(filepath.Join(data, "postmaster.pid")); err != nil {
		return nil, nil // not running
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return r.run(ctx, "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
}

// run runs one of PostgreSQL's programs, as the postgres user when this
// process is root.
func (r *Replica) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	path := filepath.Join(r.bin, name)
	var cmd *exec.Cmd
	if os.Geteuid() == 0 {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", "postgres", "--", path}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, path, args...)
	}
	cmd.Dir = r.dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return bytes.TrimSpace(out.Bytes()), err
}

// freePort asks the kernel for a free TCP port on 127.0.0.1.
func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, p, _ := net.SplitHostPort(l.Addr().String())
	n, _ := strconv.Atoi(p)
	return n
}

// DatabaseName is the database a DSN from Database names.
func DatabaseName(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Path, "/")
}
