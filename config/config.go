// Package config loads Tandem's configuration.
//
// Every setting has one name, used three ways: as a flag (--http-addr), as an
// environment variable (TANDEM_HTTP_ADDR) and as a line in a config file
// (TANDEM_HTTP_ADDR=127.0.0.1:8080). A flag beats the environment, which
// beats the file, which beats the built-in default. The defaults are the
// embedded deployment: everything in one process, data under ./tandem-data.
//
// Loading validates everything before anything starts, and reports the first
// bad setting by name (see Error), so that a typo never half-starts a server.
package config

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Role is one of the services a process can run.
type Role string

const (
	RoleApp    Role = "app"    // REST API and web app
	RoleRT     Role = "rt"     // realtime co-editing over WebSocket
	RoleWorker Role = "worker" // background jobs
)

// AllRoles is the default: everything in one process.
var AllRoles = []Role{RoleApp, RoleRT, RoleWorker}

// Config is the effective configuration of one process.
type Config struct {
	// Where and how to serve.
	Roles           []Role
	HTTPAddr        string // host:port
	PublicURL       string // the URL users open; derived from HTTPAddr if unset
	DataDir         string // embedded data: SQLite files, blobs, search index
	ShutdownTimeout time.Duration
	DrainDelay      time.Duration // time /readyz reports 503 before the listener closes

	// Logging and tracing.
	LogLevel     string // debug, info, warn, error
	LogFormat    string // auto (JSON unless on a terminal), json, text
	OTLPEndpoint string // OTLP/HTTP collector; tracing is off when empty

	// Distributed engines; empty means the embedded default.
	DatabaseURL        string // postgres://... ; empty: SQLite in DataDir
	DatabaseReplicaURL string // optional read replica
	// DatabaseReplicaMaxLag is how far behind the replica may be and still
	// serve lag-tolerant reads; beyond it every read goes to the primary.
	DatabaseReplicaMaxLag time.Duration
	RedisURL              string
	AMQPURL               string
	S3Endpoint            string
	S3Bucket              string
	S3AccessKey           string
	S3SecretKey           string
	S3Region              string
	ElasticsearchURL      string

	// MigrateOnStart applies schema migrations when serving; with it off,
	// run `tandem migrate` before starting a new release.
	MigrateOnStart bool
}

// Has reports whether the process runs role r.
func (c *Config) Has(r Role) bool { return slices.Contains(c.Roles, r) }

// Error is a configuration problem tied to one setting.
type Error struct {
	Setting string // environment-variable form, e.g. TANDEM_HTTP_ADDR
	Value   string // the offending value (redacted for secrets)
	Problem string
}

func (e *Error) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("invalid configuration: %s: %s", e.Setting, e.Problem)
	}
	return fmt.Sprintf("invalid configuration: %s=%q: %s", e.Setting, e.Value, e.Problem)
}

// setting describes one configuration value.
type setting struct {
	name    string // environment form
	def     string
	usage   string
	secret  bool
	aliases []string // other environment variables honoured, lowest precedence first
	set     func(c *Config, v string) error
}

// flagName turns TANDEM_HTTP_ADDR into http-addr.
func (s *setting) flagName() string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(s.name, "TANDEM_")), "_", "-")
}

var settings = []*setting{
	{name: "TANDEM_ROLES", def: "app,rt,worker", usage: "comma-separated roles to run: app, rt, worker", set: func(c *Config, v string) error {
		c.Roles = nil
		for _, part := range strings.Split(v, ",") {
			r := Role(strings.TrimSpace(part))
			if !slices.Contains(AllRoles, r) {
				return fmt.Errorf("unknown role %q (want app, rt or worker)", r)
			}
			if !slices.Contains(c.Roles, r) {
				c.Roles = append(c.Roles, r)
			}
		}
		return nil
	}},
	{name: "TANDEM_HTTP_ADDR", def: "127.0.0.1:8080", usage: "address to listen on (host:port)", set: func(c *Config, v string) error {
		host, port, err := net.SplitHostPort(v)
		if err != nil {
			return errors.New("want host:port, for example 127.0.0.1:8080 or :8080")
		}
		if host != "" && net.ParseIP(host) == nil && !validHostname(host) {
			return fmt.Errorf("%q is not an IP address or host name", host)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			return fmt.Errorf("port %q is not a number from 0 to 65535", port)
		}
		c.HTTPAddr = v
		return nil
	}},
	{name: "TANDEM_PUBLIC_URL", usage: "URL users reach Tandem at (default: derived from the listen address)", set: func(c *Config, v string) error {
		if v == "" {
			c.PublicURL = ""
			return nil
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return errors.New("want an absolute http:// or https:// URL")
		}
		c.PublicURL = strings.TrimSuffix(v, "/")
		return nil
	}},
	{name: "TANDEM_DATA_DIR", def: "./tandem-data", usage: "directory for embedded data (SQLite, blobs, search index)", set: func(c *Config, v string) error {
		if v == "" {
			return errors.New("must not be empty")
		}
		c.DataDir = v
		return nil
	}},
	{name: "TANDEM_SHUTDOWN_TIMEOUT", def: "25s", usage: "deadline for a graceful shutdown", set: durationSetter(func(c *Config) *time.Duration { return &c.ShutdownTimeout }, time.Second)},
	{name: "TANDEM_DRAIN_DELAY", def: "0s", usage: "how long /readyz reports 503 before the listener closes on shutdown (give load balancers time to notice)", set: durationSetter(func(c *Config) *time.Duration { return &c.DrainDelay }, 0)},
	{name: "TANDEM_LOG_LEVEL", def: "info", usage: "debug, info, warn or error", set: func(c *Config, v string) error {
		switch v {
		case "debug", "info", "warn", "error":
			c.LogLevel = v
			return nil
		}
		return errors.New("want debug, info, warn or error")
	}},
	{name: "TANDEM_LOG_FORMAT", def: "auto", usage: "auto (JSON unless on a terminal), json or text", set: func(c *Config, v string) error {
		switch v {
		case "auto", "json", "text":
			c.LogFormat = v
			return nil
		}
		return errors.New("want auto, json or text")
	}},
	{name: "TANDEM_OTLP_ENDPOINT", aliases: []string{"OTEL_EXPORTER_OTLP_ENDPOINT"}, usage: "OTLP/HTTP endpoint for traces, e.g. http://jaeger:4318 (tracing is off when empty)", set: func(c *Config, v string) error {
		if v != "" {
			if err := checkURL(v, "http", "https"); err != nil {
				return err
			}
		}
		c.OTLPEndpoint = v
		return nil
	}},
	{name: "TANDEM_DATABASE_URL", secret: true, usage: "PostgreSQL URL (postgres://...); empty: embedded SQLite in the data directory", set: func(c *Config, v string) error {
		if v != "" {
			if err := checkURL(v, "postgres", "postgresql"); err != nil {
				return err
			}
		}
		c.DatabaseURL = v
		return nil
	}},
	{name: "TANDEM_DATABASE_REPLICA_URL", secret: true, usage: "optional PostgreSQL read replica URL", set: func(c *Config, v string) error {
		if v != "" {
			if err := checkURL(v, "postgres", "postgresql"); err != nil {
				return err
			}
		}
		c.DatabaseReplicaURL = v
		return nil
	}},
	{name: "TANDEM_DATABASE_REPLICA_MAX_LAG", def: "10s", usage: "replication lag above which every read goes to the primary instead of the read replica", set: durationSetter(func(c *Config) *time.Duration { return &c.DatabaseReplicaMaxLag }, 100*time.Millisecond)},
	{name: "TANDEM_REDIS_URL", secret: true, usage: "Redis URL (redis://...); empty: in-process fan-out", set: func(c *Config, v string) error {
		if v != "" {
			if err := checkURL(v, "redis", "rediss"); err != nil {
				return err
			}
		}
		c.RedisURL = v
		return nil
	}},
	{name: "TANDEM_AMQP_URL", secret: true, usage: "RabbitMQ URL (amqp://...); empty: in-process queue", set: func(c *Config, v string) error {
		if v != "" {
			if err := checkURL(v, "amqp", "amqps"); err != nil {
				return err
			}
		}
		c.AMQPURL = v
		return nil
	}},
	{name: "TANDEM_S3_ENDPOINT", usage: "S3 endpoint URL; empty: blobs on local disk", set: func(c *Config, v string) error {
		if v != "" {
			if err := checkURL(v, "http", "https"); err != nil {
				return err
			}
		}
		c.S3Endpoint = v
		return nil
	}},
	{name: "TANDEM_S3_BUCKET", def: "tandem", usage: "S3 bucket", set: func(c *Config, v string) error { c.S3Bucket = v; return nil }},
	{name: "TANDEM_S3_REGION", def: "us-east-1", usage: "S3 region", set: func(c *Config, v string) error { c.S3Region = v; return nil }},
	{name: "TANDEM_S3_ACCESS_KEY", usage: "S3 access key id", set: func(c *Config, v string) error { c.S3AccessKey = v; return nil }},
	{name: "TANDEM_S3_SECRET_KEY", secret: true, usage: "S3 secret access key", set: func(c *Config, v string) error { c.S3SecretKey = v; return nil }},
	{name: "TANDEM_ELASTICSEARCH_URL", secret: true, usage: "Elasticsearch/OpenSearch URL; empty: embedded search", set: func(c *Config, v string) error {
		if v != "" {
			if err := checkURL(v, "http", "https"); err != nil {
				return err
			}
		}
		c.ElasticsearchURL = v
		return nil
	}},
	{name: "TANDEM_MIGRATE_ON_START", def: "true", usage: "apply database migrations when serving", set: func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errors.New("want true or false")
		}
		c.MigrateOnStart = b
		return nil
	}},
}

// Load builds the configuration from command-line arguments (after the
// subcommand), the environment (getenv) and, if --config or TANDEM_CONFIG
// names one, a config file. It returns *Error for a bad setting, and
// flag.ErrHelp when help was asked for (usage is written to out).
func Load(args []string, getenv func(string) string, out io.Writer) (*Config, error) {
	fs := flag.NewFlagSet("tandem", flag.ContinueOnError)
	fs.SetOutput(out)
	flagValues := map[string]*string{}
	for _, s := range settings {
		flagValues[s.name] = fs.String(s.flagName(), "", s.usage+" ("+s.name+")")
	}
	configFile := fs.String("config", "", "config file of NAME=value lines (TANDEM_CONFIG)")
	fs.Usage = func() {
		fmt.Fprintf(out, "Settings (flag, environment variable, or NAME=value in a config file; defaults in brackets):\n")
		for _, s := range settings {
			fmt.Fprintf(out, "  --%s, %s [%s]\n      %s\n", s.flagName(), s.name, s.def, s.usage)
		}
		fmt.Fprintf(out, "  --config, TANDEM_CONFIG\n      config file of NAME=value lines\n")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, &Error{Setting: "command line", Problem: err.Error()}
	}
	if fs.NArg() > 0 {
		return nil, &Error{Setting: "command line", Problem: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })

	path := *configFile
	if !explicit["config"] {
		path = getenv("TANDEM_CONFIG")
	}
	fileValues := map[string]string{}
	if path != "" {
		var err error
		if fileValues, err = readFile(path); err != nil {
			return nil, err
		}
	}

	c := &Config{}
	for _, s := range settings {
		v := s.def
		if fv, found := fileValues[s.name]; found {
			v = fv
		}
		for _, alias := range s.aliases {
			if ev := getenv(alias); ev != "" {
				v = ev
			}
		}
		if ev := getenv(s.name); ev != "" {
			v = ev
		}
		if explicit[s.flagName()] {
			v = *flagValues[s.name]
		}
		if err := s.set(c, v); err != nil {
			shown := v
			if s.secret {
				shown = redact(v)
			}
			return nil, &Error{Setting: s.name, Value: shown, Problem: err.Error()}
		}
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + displayAddr(c.HTTPAddr)
	}
	if c.DatabaseReplicaURL != "" && c.DatabaseURL == "" {
		return nil, &Error{Setting: "TANDEM_DATABASE_REPLICA_URL", Problem: "a read replica needs TANDEM_DATABASE_URL (the primary) too"}
	}
	if c.S3Endpoint != "" && (c.S3AccessKey == "" || c.S3SecretKey == "") {
		return nil, &Error{Setting: "TANDEM_S3_ENDPOINT", Problem: "S3 needs TANDEM_S3_ACCESS_KEY and TANDEM_S3_SECRET_KEY"}
	}
	if abs, err := filepath.Abs(c.DataDir); err == nil {
		c.DataDir = abs
	}
	return c, nil
}

// readFile parses NAME=value lines; blank lines and # comments are ignored,
// and values may be wrapped in double quotes.
func readFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &Error{Setting: "TANDEM_CONFIG", Value: path, Problem: err.Error()}
	}
	defer f.Close()
	known := map[string]bool{}
	for _, s := range settings {
		known[s.name] = true
	}
	values := map[string]string{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		name, value, ok := strings.Cut(text, "=")
		name = strings.TrimSpace(name)
		if !ok {
			return nil, &Error{Setting: "TANDEM_CONFIG", Value: path, Problem: fmt.Sprintf("line %d: want NAME=value", line)}
		}
		if !known[name] {
			return nil, &Error{Setting: name, Problem: fmt.Sprintf("unknown setting in %s line %d", path, line)}
		}
		value = strings.TrimSpace(value)
		if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
			if uq, err := strconv.Unquote(value); err == nil {
				value = uq
			}
		}
		values[name] = value
	}
	if err := sc.Err(); err != nil {
		return nil, &Error{Setting: "TANDEM_CONFIG", Value: path, Problem: err.Error()}
	}
	return values, nil
}

// Print writes the effective configuration, one NAME=value per line, with
// secrets redacted, in a form a config file accepts.
func (c *Config) Print(w io.Writer) {
	for _, s := range settings {
		v := c.value(s.name)
		if s.secret {
			v = redact(v)
		}
		fmt.Fprintf(w, "%s=%s\n", s.name, v)
	}
}

// Attrs returns the configuration as key/value pairs for a start-up log line,
// secrets redacted.
func (c *Config) Attrs() []any {
	var attrs []any
	for _, s := range settings {
		v := c.value(s.name)
		if s.secret {
			v = redact(v)
		}
		attrs = append(attrs, strings.ToLower(strings.TrimPrefix(s.name, "TANDEM_")), v)
	}
	return attrs
}

func (c *Config) value(name string) string {
	switch name {
	case "TANDEM_ROLES":
		var parts []string
		for _, r := range c.Roles {
			parts = append(parts, string(r))
		}
		return strings.Join(parts, ",")
	case "TANDEM_HTTP_ADDR":
		return c.HTTPAddr
	case "TANDEM_PUBLIC_URL":
		return c.PublicURL
	case "TANDEM_DATA_DIR":
		return c.DataDir
	case "TANDEM_SHUTDOWN_TIMEOUT":
		return c.ShutdownTimeout.String()
	case "TANDEM_DRAIN_DELAY":
		return c.DrainDelay.String()
	case "TANDEM_LOG_LEVEL":
		return c.LogLevel
	case "TANDEM_LOG_FORMAT":
		return c.LogFormat
	case "TANDEM_OTLP_ENDPOINT":
		return c.OTLPEndpoint
	case "TANDEM_DATABASE_URL":
		return c.DatabaseURL
	case "TANDEM_DATABASE_REPLICA_URL":
		return c.DatabaseReplicaURL
	case "TANDEM_DATABASE_REPLICA_MAX_LAG":
		return c.DatabaseReplicaMaxLag.String()
	case "TANDEM_REDIS_URL":
		return c.RedisURL
	case "TANDEM_AMQP_URL":
		return c.AMQPURL
	case "TANDEM_S3_ENDPOINT":
		return c.S3Endpoint
	case "TANDEM_S3_BUCKET":
		return c.S3Bucket
	case "TANDEM_S3_REGION":
		return c.S3Region
	case "TANDEM_S3_ACCESS_KEY":
		return c.S3AccessKey
	case "TANDEM_S3_SECRET_KEY":
		return c.S3SecretKey
	case "TANDEM_ELASTICSEARCH_URL":
		return c.ElasticsearchURL
	case "TANDEM_MIGRATE_ON_START":
		return strconv.FormatBool(c.MigrateOnStart)
	}
	panic("config: no value for " + name)
}

// redact hides a secret. URLs keep their scheme, host and path so that an
// operator can still see where Tandem connects; only credentials go.
func redact(v string) string {
	if v == "" {
		return ""
	}
	if u, err := url.Parse(v); err == nil && u.Scheme != "" && u.Host != "" {
		if u.User != nil {
			u.User = url.User("REDACTED")
			if _, has := u.User.Password(); !has {
				u.User = url.UserPassword("REDACTED", "REDACTED")
			}
		}
		q := u.Query()
		for k := range q {
			lk := strings.ToLower(k)
			if strings.Contains(lk, "pass") || strings.Contains(lk, "secret") || strings.Contains(lk, "token") || strings.Contains(lk, "key") {
				q.Set(k, "REDACTED")
			}
		}
		u.RawQuery = q.Encode()
		return u.String()
	}
	return "REDACTED"
}

func durationSetter(field func(*Config) *time.Duration, min time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			return errors.New("want a duration such as 25s or 1m")
		}
		if d < min {
			return fmt.Errorf("must be at least %s", min)
		}
		*field(c) = d
		return nil
	}
}

func checkURL(v string, schemes ...string) error {
	u, err := url.Parse(v)
	if err != nil {
		return errors.New("not a valid URL")
	}
	if !slices.Contains(schemes, u.Scheme) {
		return fmt.Errorf("want a %s:// URL", strings.Join(schemes, ":// or "))
	}
	if u.Host == "" {
		return errors.New("URL has no host")
	}
	return nil
}

func validHostname(h string) bool {
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for _, r := range label {
			if !(r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
				return false
			}
		}
	}
	return true
}

// displayAddr turns a listen address into one a browser can open.
func displayAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
