package model

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const lessonSHA256 = "047bf46455a544931cff6fef14d7910154c56afbc23ab1c5e56a72e69912c04b"

// homeAt makes a fresh user: HOME and XDG_CACHE_HOME in a temporary folder, no $ATTNVIZ_MODEL.
func homeAt(t *testing.T) (home, cache string) {
	t.Helper()
	home = t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, "xdg-cache"))
	t.Setenv("ATTNVIZ_MODEL", "")
	os.Unsetenv("ATTNVIZ_MODEL")
	cache = CacheDir()
	if runtime.GOOS == "linux" && cache != filepath.Join(home, "xdg-cache", "attnviz", "models") {
		t.Fatalf("CacheDir() = %q, want $XDG_CACHE_HOME/attnviz/models", cache)
	}
	return home, cache
}

func put(t *testing.T, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("GGUF"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestFindLessonModelAnyFolder: `make model` fills the cache folder, and the model is found
// from a folder that has nothing to do with the checkout.
func TestFindLessonModelAnyFolder(t *testing.T) {
	home, cache := homeAt(t)
	want := filepath.Join(cache, LessonModelFile)
	put(t, want)
	elsewhere := filepath.Join(home, "somewhere", "else")
	os.MkdirAll(elsewhere, 0o755)
	t.Chdir(elsewhere)
	got, err := FindLessonModel()
	if err != nil || got != want {
		t.Fatalf("FindLessonModel() = %q, %v; want %q", got, err, want)
	}
	if p := DefaultPath(); p != want {
		t.Errorf("DefaultPath() = %q, want %q", p, want)
	}
}

// TestFindLessonModelInCheckout: from any folder inside a checkout, its models/ is found.
func TestFindLessonModelInCheckout(t *testing.T) {
	home, _ := homeAt(t)
	root := filepath.Join(home, "attnviz")
	put(t, filepath.Join(root, "models", LessonModelFile))
	if err := os.WriteFile(filepath.Join(root, "go.mod"), []byte("module github.com/attnviz/attnviz\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	deep := filepath.Join(root, "viz", "internal", "raster")
	os.MkdirAll(deep, 0o755)
	t.Chdir(deep)
	got, err := FindLessonModel()
	if want := filepath.Join(root, "models", LessonModelFile); err != nil || got != want {
		t.Fatalf("FindLessonModel() from %s = %q, %v; want %q", deep, got, err, want)
	}
}

func TestFindLessonModelEnv(t *testing.T) {
	home, cache := homeAt(t)
	put(t, filepath.Join(cache, LessonModelFile))
	mine := filepath.Join(home, "mine.gguf")
	put(t, mine)
	t.Setenv("ATTNVIZ_MODEL", mine)
	if got, err := FindLessonModel(); err != nil || got != mine {
		t.Errorf("with $ATTNVIZ_MODEL: got %q, %v; want %q", got, err, mine)
	}
	t.Setenv("ATTNVIZ_MODEL", filepath.Join(home, "gone.gguf"))
	_, err := FindLessonModel()
	if err == nil || !strings.Contains(err.Error(), "$ATTNVIZ_MODEL="+filepath.Join(home, "gone.gguf")+" (not there)") {
		t.Errorf("$ATTNVIZ_MODEL naming a missing file: want an error naming it, got %v", err)
	}
}

// TestLessonModelMissing: the messages say where the model was looked for and how to get it,
// from FindLessonModel and from Load(DefaultPath()) alike.
func TestLessonModelMissing(t *testing.T) {
	home, cache := homeAt(t)
	t.Chdir(home)
	p, err := FindLessonModel()
	if err == nil {
		t.Fatalf("found %q in an empty home", p)
	}
	if want := filepath.Join(cache, LessonModelFile); p != want || DefaultPath() != want {
		t.Errorf("missing model: want the path `make model` would write, %q; got %q and %q", want, p, DefaultPath())
	}
	_, loadErr := Load(DefaultPath())
	for _, e := range []error{err, loadErr} {
		if e == nil {
			t.Fatal("Load of the missing lesson model succeeded")
		}
		for _, want := range []string{
			"the lesson model stories260Ktok512.gguf was looked for in $ATTNVIZ_MODEL (not set), " + cache + ", " + filepath.Join(home, "models"),
			"run `make model` in the attnviz folder (it puts it in " + cache + ")",
			LessonModelURL,
		} {
			if !strings.Contains(e.Error(), want) {
				t.Errorf("want %q in:\n%v", want, e)
			}
		}
	}
}

// TestMakeModel runs `make model`'s script with ../shared/models as its source: the model
// lands, checked, in the folder CacheDir names for the same environment; a file with the
// wrong checksum is refused and nothing is installed.
func TestMakeModel(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	shared, _ := filepath.Abs("../../shared/models")
	if _, err := os.Stat(filepath.Join(shared, LessonModelFile)); err != nil {
		t.Skipf("no %s to copy (%v)", LessonModelFile, err)
	}
	_, cache := homeAt(t)
	script, _ := filepath.Abs("../scripts/get-model.sh")
	run := func(sharedDir string) (string, error) {
		cmd := exec.Command("bash", script)
		cmd.Env = append(os.Environ(), "MODEL_SHARED="+sharedDir, "MODEL_URL=http://127.0.0.1:1/offline", "MODEL_CACHE=")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, LessonModelFile), []byte("not the model"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run(bad)
	if err == nil || !strings.Contains(out, "checksum mismatch") {
		t.Errorf("a file with the wrong checksum: want a refusal, got %v:\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(cache, LessonModelFile)); err == nil {
		t.Errorf("a file with the wrong checksum was installed")
	}
	if left, _ := filepath.Glob(filepath.Join(cache, "*")); len(left) != 0 {
		t.Errorf("the refused copy left %v behind", left)
	}

	out, err = run(shared)
	if err != nil {
		t.Fatalf("get-model.sh: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(cache, LessonModelFile))
	if err != nil {
		t.Fatalf("the model is not in CacheDir() %s: %v\n%s", cache, err, out)
	}
	if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != lessonSHA256 {
		t.Errorf("the installed model has the wrong checksum")
	}
	t.Chdir(t.TempDir())
	if got, err := FindLessonModel(); err != nil || got != filepath.Join(cache, LessonModelFile) {
		t.Errorf("after make model, from another folder: %q, %v", got, err)
	}
	out, err = run(bad)
	if err != nil || !strings.Contains(out, "is there already") {
		t.Errorf("second run: want the checked file kept, got %v:\n%s", err, out)
	}
}

// TestBenchModelFindsTheLessonModelAsGoDoes (issue 13, the cache folder left out of
// scripts/bench_model.py): the peer script's default model (benchlib.lesson_model) is the file
// FindLessonModel finds from the checkout: $ATTNVIZ_MODEL, then the cache folder `make model`
// fills, then the checkout's models/ and ../shared/models/.
func TestBenchModelFindsTheLessonModelAsGoDoes(t *testing.T) {
	const python = "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		t.Skipf("%s not found", python)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	bench := func(t *testing.T) (string, string) {
		t.Helper()
		cmd := exec.Command(python, "-c", "import sys; sys.path.insert(0, 'scripts'); import benchlib; print(benchlib.lesson_model(sys.argv[1]))", root)
		cmd.Dir = root
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			return "", strings.TrimSpace(stderr.String())
		}
		return strings.TrimSpace(string(out)), ""
	}
	t.Run("cache folder", func(t *testing.T) {
		_, cache := homeAt(t)
		want := filepath.Join(cache, LessonModelFile)
		put(t, want)
		t.Chdir(root)
		got, err := FindLessonModel()
		if err != nil || got != want {
			t.Fatalf("FindLessonModel() = %q, %v; want %q", got, err, want)
		}
		if p, msg := bench(t); p != want {
			t.Errorf("benchlib.lesson_model = %q (%s), want %q as FindLessonModel", p, msg, want)
		}
	})
	t.Run("ATTNVIZ_MODEL", func(t *testing.T) {
		home, cache := homeAt(t)
		put(t, filepath.Join(cache, LessonModelFile))
		want := filepath.Join(home, "mine.gguf")
		put(t, want)
		t.Setenv("ATTNVIZ_MODEL", want)
		t.Chdir(root)
		if got, err := FindLessonModel(); err != nil || got != want {
			t.Fatalf("FindLessonModel() = %q, %v; want %q", got, err, want)
		}
		if p, msg := bench(t); p != want {
			t.Errorf("benchlib.lesson_model = %q (%s), want %q", p, msg, want)
		}
	})
	t.Run("empty cache", func(t *testing.T) {
		_, cache := homeAt(t)
		t.Chdir(root)
		got, err := FindLessonModel() // the checkout's models/ or ../shared/models/, or none
		p, msg := bench(t)
		if err != nil {
			if p != "" || !strings.Contains(msg, cache) || !strings.Contains(msg, "make model") {
				t.Errorf("FindLessonModel found none (%v); benchlib.lesson_model = %q, %q: want a message naming %s and make model", err, p, msg, cache)
			}
			return
		}
		g, _ := filepath.EvalSymlinks(got)
		b, _ := filepath.EvalSymlinks(p)
		if g != b {
			t.Errorf("benchlib.lesson_model = %q (%s), FindLessonModel = %q", p, msg, got)
		}
	})
}
