package atomicfile

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// noTemp fails if a temporary file was left in dir.
func noTemp(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if len(e.Name()) > 0 && e.Name()[0] == '.' {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

func TestWriteNewFileUsesUmask(t *testing.T) {
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)
	dir := t.TempDir()
	p := filepath.Join(dir, "a.bin")
	if err := WriteFile(p, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil || string(b) != "hello" {
		t.Fatalf("read back %q, %v", b, err)
	}
	st, _ := os.Stat(p)
	if got := st.Mode().Perm(); got != 0o640 {
		t.Errorf("new file mode %v, want 0640 (0666 less umask 027)", got)
	}
	noTemp(t, dir)
}

func TestWriteKeepsMode(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.bin")
	if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, 0o604); err != nil { // bits a umask of 022 would not clear, and one it would
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("new")); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(p)
	if got := st.Mode().Perm(); got != 0o604 {
		t.Errorf("mode after replace %v, want 0604 (kept)", got)
	}
	if b, _ := os.ReadFile(p); string(b) != "new" {
		t.Errorf("contents %q, want new", b)
	}
}

func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "old.bin")
	if err := os.WriteFile(old, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	mine := errors.New("encoder failed")
	ro := filepath.Join(dir, "ro")
	if err := os.Mkdir(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, path string
		write      func(io.Writer) error
		want       error // errors.Is
		pathErr    bool  // a *fs.PathError naming path
	}{
		{"missing directory", filepath.Join(dir, "no", "such", "f.bin"), nil, fs.ErrNotExist, true},
		{"a directory", dir, nil, ErrIsDir, true},
		{"the caller's error", old, func(w io.Writer) error { w.Write([]byte("partial")); return mine }, mine, false},
		{"read-only directory", filepath.Join(ro, "f.bin"), nil, fs.ErrPermission, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.want == fs.ErrPermission && os.Geteuid() == 0 {
				t.Skip("root writes into a read-only directory")
			}
			w := c.write
			if w == nil {
				w = func(w io.Writer) error { _, err := w.Write([]byte("x")); return err }
			}
			err := Write(c.path, w)
			if !errors.Is(err, c.want) {
				t.Fatalf("error %v, want one matching %v", err, c.want)
			}
			var pe *fs.PathError
			if c.pathErr && (!errors.As(err, &pe) || pe.Path != c.path) {
				t.Errorf("error %#v does not name %s", err, c.path)
			}
			if !c.pathErr && err != mine {
				t.Errorf("the caller's error came back as %v, want it unchanged", err)
			}
		})
	}
	if b, _ := os.ReadFile(old); string(b) != "old" {
		t.Errorf("a failed write changed the old file: %q", b)
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		t.Error("the directory was replaced")
	}
	noTemp(t, dir)
}
