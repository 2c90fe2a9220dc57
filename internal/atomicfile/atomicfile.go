// Package atomicfile writes a file so that a reader never sees it half
// written: the bytes go to a temporary file beside the target, which is
// flushed to disk and renamed over it. Every package of attnviz that saves
// a file (tensor's .npy/.npz/safetensors writers, viz's figures, the
// command line's gallery) uses it, so they all keep the same promises:
//
//   - on any error before the rename, path is as it was (absent, or the old
//     contents) and the temporary file is removed;
//   - a file that existed keeps its permission bits; a new one gets
//     0666 less the process's umask, as os.Create would give it;
//   - the file's data is synced before the rename and its directory after
//     it, so a crash right after Write returns does not lose the file (a
//     failure to sync the directory is reported, though the new file is
//     then in place);
//   - errors from the operating system come back as they are (a
//     *fs.PathError naming path, never the temporary file), so errors.Is
//     finds fs.ErrNotExist, fs.ErrPermission, syscall.ENOSPC, ...
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
)

// ErrIsDir is the cause (in a *fs.PathError naming path) when path is a
// directory: nothing is written and the directory is left alone.
var ErrIsDir = errors.New("is a directory")

// Write creates or replaces the file at path with what write writes to w
// (buffered). An error that write returns is returned unchanged, so the
// caller recognises its own errors (an error of w itself, such as a full
// disk, is a *fs.PathError naming path); every other error is a
// *fs.PathError whose Path is path (see the package doc).
func Write(path string, write func(w io.Writer) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	mode, keep := fs.FileMode(0o666), false
	if st, e := os.Stat(path); e == nil {
		if st.IsDir() {
			return &fs.PathError{Op: "write", Path: path, Err: ErrIsDir}
		}
		mode, keep = st.Mode().Perm(), true
	}
	tmp, err := createTemp(dir, base, mode)
	if err != nil {
		return named(err, path)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(namedWriter{tmp, path}, 1<<16)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	// The umask applied when the file was created; an existing file's bits
	// are set exactly (a umask may have cleared some of them).
	if keep {
		if err = tmp.Chmod(mode); err != nil {
			return named(err, path)
		}
	}
	if err = tmp.Sync(); err != nil {
		return named(err, path)
	}
	if err = tmp.Close(); err != nil {
		return named(err, path)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return &fs.PathError{Op: "rename", Path: path, Err: errors.Unwrap(err)}
	}
	return syncDir(dir, path)
}

// WriteFile is Write with the whole contents at hand.
func WriteFile(path string, data []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// createTemp makes a new file ".base.tmp-N" in dir with the given mode
// (the kernel applies the umask). os.CreateTemp would always use 0600.
func createTemp(dir, base string, mode fs.FileMode) (*os.File, error) {
	for range 100 {
		name := filepath.Join(dir, fmt.Sprintf(".%s.tmp-%d", base, rand.Uint32()))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, mode)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, &fs.PathError{Op: "createtemp", Path: filepath.Join(dir, base), Err: fs.ErrExist}
}

// namedWriter reports its errors as errors about path.
type namedWriter struct {
	f    *os.File
	path string
}

func (w namedWriter) Write(b []byte) (int, error) {
	n, err := w.f.Write(b)
	if err != nil {
		err = named(err, w.path)
	}
	return n, err
}

// named makes an error about the temporary file name path instead.
func named(err error, path string) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return &fs.PathError{Op: pe.Op, Path: path, Err: pe.Err}
	}
	return &fs.PathError{Op: "write", Path: path, Err: err}
}

// syncDir flushes the directory entry of the renamed file. Windows cannot
// open a directory for syncing, and some file systems answer EINVAL (they
// have nothing to flush); there the rename is as durable as it gets.
func syncDir(dir, path string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return &fs.PathError{Op: "sync", Path: path, Err: errors.Unwrap(err)}
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return &fs.PathError{Op: "sync", Path: path, Err: errors.Unwrap(err)}
	}
	return nil
}
