package tandemtest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
)

// NodeClients is the directory of the pinned Node Yjs clients
// (collab/testdata/js: y-websocket, @hocuspocus/provider, yjs) that the
// collab, http and server tests run, with its packages installed.
func NodeClients(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("tandemtest: cannot locate the source tree")
	}
	dir := filepath.Join(filepath.Dir(filepath.Dir(file)), "collab", "testdata", "js")
	NPMInstall(t, dir)
	return dir
}

// NPMInstall installs dir's npm packages from its lock file (npm ci) unless
// they are installed and newer than the lock file. go test runs packages in
// parallel processes, and several packages' tests use one directory of
// clients: an exclusive lock on a file beside the system's temporary files
// makes the second process wait for the first one's install, instead of
// deleting node_modules under it (npm ci starts by removing it), which left
// a half-installed yjs that every Node client then failed to import.
func NPMInstall(t testing.TB, dir string) {
	t.Helper()
	sum := sha256.Sum256([]byte(dir))
	lock, err := os.OpenFile(filepath.Join(os.TempDir(), "tandem-npm-"+hex.EncodeToString(sum[:8])+".lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatalf("npm install lock: %v", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatalf("npm install lock: %v", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if err := npmInstalled(dir); err == nil {
		return
	}
	cmd := exec.Command("npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in %s: %v\n%s", dir, err, out)
	}
	if err := npmInstalled(dir); err != nil {
		t.Fatalf("npm ci in %s: %v", dir, err)
	}
}

// npmInstalled says why dir's packages need installing, or nil.
func npmInstalled(dir string) error {
	lock, err := os.Stat(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		return err
	}
	inst, err := os.Stat(filepath.Join(dir, "node_modules", ".package-lock.json"))
	if err != nil {
		return err
	}
	if inst.ModTime().Before(lock.ModTime()) {
		return fmt.Errorf("node_modules is older than package-lock.json")
	}
	return nil
}
