package config

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaultsAreEmbedded(t *testing.T) {
	c, err := Load(nil, env(nil), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "127.0.0.1:8080" || c.PublicURL != "http://127.0.0.1:8080" {
		t.Errorf("addr %q url %q", c.HTTPAddr, c.PublicURL)
	}
	if !c.Has(RoleApp) || !c.Has(RoleRT) || !c.Has(RoleWorker) {
		t.Errorf("roles %v", c.Roles)
	}
	if !filepath.IsAbs(c.DataDir) || filepath.Base(c.DataDir) != "tandem-data" {
		t.Errorf("data dir %q", c.DataDir)
	}
	if c.ShutdownTimeout != 25*time.Second || c.DatabaseURL != "" || c.OTLPEndpoint != "" {
		t.Errorf("unexpected defaults %+v", c)
	}
}

func TestPrecedenceFlagEnvFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "tandem.conf")
	os.WriteFile(file, []byte("# comment\nTANDEM_HTTP_ADDR=127.0.0.1:1111\nTANDEM_LOG_LEVEL=\"debug\"\nTANDEM_ROLES=rt\n"), 0o600)

	c, err := Load([]string{"--config", file}, env(nil), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "127.0.0.1:1111" || c.LogLevel != "debug" || len(c.Roles) != 1 || c.Roles[0] != RoleRT {
		t.Fatalf("file not applied: %+v", c)
	}
	c, err = Load(nil, env(map[string]string{"TANDEM_CONFIG": file, "TANDEM_HTTP_ADDR": "127.0.0.1:2222"}), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "127.0.0.1:2222" || c.LogLevel != "debug" {
		t.Fatalf("env should beat file: %+v", c)
	}
	c, err = Load([]string{"--http-addr", ":3333"}, env(map[string]string{"TANDEM_CONFIG": file, "TANDEM_HTTP_ADDR": "127.0.0.1:2222"}), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != ":3333" || c.PublicURL != "http://localhost:3333" {
		t.Fatalf("flag should beat env: %+v", c)
	}
}

func TestOTELAlias(t *testing.T) {
	c, err := Load(nil, env(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.OTLPEndpoint != "http://127.0.0.1:4318" {
		t.Fatalf("got %q", c.OTLPEndpoint)
	}
	c, _ = Load(nil, env(map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://a:1", "TANDEM_OTLP_ENDPOINT": "http://b:2"}), &bytes.Buffer{})
	if c.OTLPEndpoint != "http://b:2" {
		t.Fatalf("TANDEM_ name should win, got %q", c.OTLPEndpoint)
	}
}

func TestInvalidSettingsNameTheSetting(t *testing.T) {
	cases := []struct {
		env     map[string]string
		args    []string
		setting string
	}{
		{env: map[string]string{"TANDEM_HTTP_ADDR": "nonsense"}, setting: "TANDEM_HTTP_ADDR"},
		{env: map[string]string{"TANDEM_HTTP_ADDR": "127.0.0.1:99999"}, setting: "TANDEM_HTTP_ADDR"},
		{env: map[string]string{"TANDEM_ROLES": "app,db"}, setting: "TANDEM_ROLES"},
		{env: map[string]string{"TANDEM_SHUTDOWN_TIMEOUT": "soon"}, setting: "TANDEM_SHUTDOWN_TIMEOUT"},
		{env: map[string]string{"TANDEM_DATABASE_URL": "mysql://x"}, setting: "TANDEM_DATABASE_URL"},
		{env: map[string]string{"TANDEM_DATABASE_REPLICA_URL": "postgres://r/db"}, setting: "TANDEM_DATABASE_REPLICA_URL"},
		{env: map[string]string{"TANDEM_LOG_LEVEL": "loud"}, setting: "TANDEM_LOG_LEVEL"},
		{env: map[string]string{"TANDEM_DATABASE_URL": "postgres://p/db", "TANDEM_DATABASE_REPLICA_URL": "mysql://r/db"}, setting: "TANDEM_DATABASE_REPLICA_URL"},
		{env: map[string]string{"TANDEM_DATABASE_REPLICA_MAX_LAG": "a while"}, setting: "TANDEM_DATABASE_REPLICA_MAX_LAG"},
		{env: map[string]string{"TANDEM_DATABASE_REPLICA_MAX_LAG": "0s"}, setting: "TANDEM_DATABASE_REPLICA_MAX_LAG"},
		{args: []string{"--no-such-flag"}, setting: "command line"},
		{env: map[string]string{"TANDEM_CONFIG": "/does/not/exist"}, setting: "TANDEM_CONFIG"},
	}
	for _, tc := range cases {
		_, err := Load(tc.args, env(tc.env), &bytes.Buffer{})
		var ce *Error
		if !errors.As(err, &ce) {
			t.Errorf("%v %v: want *Error, got %v", tc.env, tc.args, err)
			continue
		}
		if ce.Setting != tc.setting || !strings.Contains(err.Error(), tc.setting) {
			t.Errorf("%v: error %q does not name %s", tc.env, err, tc.setting)
		}
	}
}

func TestUnknownSettingInFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "tandem.conf")
	os.WriteFile(file, []byte("TANDEM_HTTP_ADRR=:1\n"), 0o600)
	_, err := Load([]string{"--config", file}, env(nil), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "TANDEM_HTTP_ADRR") {
		t.Fatalf("got %v", err)
	}
}

func TestSecretsAreRedacted(t *testing.T) {
	c, err := Load(nil, env(map[string]string{
		"TANDEM_DATABASE_URL":         "postgres://tandem:hunter2@db:5432/tandem?sslmode=disable",
		"TANDEM_DATABASE_REPLICA_URL": "postgres://reader:correcthorse@replica:5432/tandem?sslmode=disable&password=batterystaple",
		"TANDEM_REDIS_URL":            "redis://:s3cret@cache:6379/0",
		"TANDEM_S3_ENDPOINT":          "http://s3:7070",
		"TANDEM_S3_ACCESS_KEY":        "AKIA",
		"TANDEM_S3_SECRET_KEY":        "topsecretkey",
	}), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	c.Print(&out)
	for _, secret := range []string{"hunter2", "s3cret", "topsecretkey", "correcthorse", "batterystaple"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("printed config leaks %q:\n%s", secret, out.String())
		}
	}
	if !strings.Contains(out.String(), "db:5432/tandem") || !strings.Contains(out.String(), "replica:5432/tandem") {
		t.Errorf("redaction should keep the host:\n%s", out.String())
	}
	for i := 0; i < len(c.Attrs()); i += 2 {
		if v := c.Attrs()[i+1].(string); strings.Contains(v, "hunter2") || strings.Contains(v, "topsecretkey") || strings.Contains(v, "correcthorse") || strings.Contains(v, "batterystaple") {
			t.Errorf("log attrs leak a secret: %s", v)
		}
	}
	// A printed configuration is a valid config file.
	file := filepath.Join(t.TempDir(), "printed.conf")
	os.WriteFile(file, []byte(strings.ReplaceAll(out.String(), "REDACTED", "x")), 0o600)
	if _, err := Load([]string{"--config", file}, env(nil), &bytes.Buffer{}); err != nil {
		t.Fatalf("printed config does not load: %v", err)
	}
}

func TestHelp(t *testing.T) {
	var out bytes.Buffer
	_, err := Load([]string{"-h"}, env(nil), &out)
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "TANDEM_HTTP_ADDR") {
		t.Fatalf("err %v out %s", err, out.String())
	}
}

func TestReplicaSettings(t *testing.T) {
	c, err := Load(nil, env(nil), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseReplicaURL != "" || c.DatabaseReplicaMaxLag != 10*time.Second {
		t.Fatalf("replica defaults: url %q max lag %s", c.DatabaseReplicaURL, c.DatabaseReplicaMaxLag)
	}
	c, err = Load([]string{"--database-replica-max-lag", "2500ms"}, env(map[string]string{
		"TANDEM_DATABASE_URL":         "postgres://p:5432/tandem",
		"TANDEM_DATABASE_REPLICA_URL": "postgresql://r:5433/tandem",
	}), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.DatabaseReplicaURL != "postgresql://r:5433/tandem" || c.DatabaseReplicaMaxLag != 2500*time.Millisecond {
		t.Fatalf("replica settings: url %q max lag %s", c.DatabaseReplicaURL, c.DatabaseReplicaMaxLag)
	}
	var out bytes.Buffer
	c.Print(&out)
	if !strings.Contains(out.String(), "TANDEM_DATABASE_REPLICA_MAX_LAG=2.5s\n") {
		t.Fatalf("printed config:\n%s", out.String())
	}
}
