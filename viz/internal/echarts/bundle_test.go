package echarts

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// requireTools: under `make test` (ATTNVIZ_REQUIRE_BROWSER=1, which CI runs
// after scripts/setup-browser.sh) a missing tool fails the test; elsewhere
// it skips with the reason.
func requireTools(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("ATTNVIZ_REQUIRE_BROWSER") != "" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// TestBundleReproducible rebuilds the embedded JavaScript with
// web/echarts/build.mjs (esbuild, the npm packages pinned in
// web/package-lock.json) into a temporary folder and checks that every
// committed file in assets/ it makes is byte for byte what it builds.
func TestBundleReproducible(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..", "..")
	node, err := exec.LookPath("node")
	if err != nil {
		requireTools(t, "no node on PATH (scripts/setup-browser.sh installs it): cannot rebuild the ECharts bundle")
	}
	for _, p := range []string{"esbuild", "echarts", "fflate"} {
		if _, err := os.Stat(filepath.Join(root, "web", "node_modules", p, "package.json")); err != nil {
			requireTools(t, "web/node_modules/%s missing (scripts/setup-browser.sh runs npm ci in web/): cannot rebuild the ECharts bundle", p)
		}
	}
	out := t.TempDir()
	cmd := exec.Command(node, filepath.Join(root, "web", "echarts", "build.mjs"), out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("web/echarts/build.mjs: %v\n%s", err, b)
	}
	built, err := os.ReadDir(out)
	if err != nil || len(built) < 3 {
		t.Fatalf("build wrote %d files (%v)", len(built), err)
	}
	for _, e := range built {
		got, _ := os.ReadFile(filepath.Join(out, e.Name()))
		want, err := os.ReadFile(filepath.Join("assets", e.Name()))
		if err != nil {
			t.Errorf("assets/%s: %v (run node web/echarts/build.mjs and commit the result)", e.Name(), err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("assets/%s (%d bytes) differs from what web/echarts/build.mjs builds (%d bytes): run it and commit the result", e.Name(), len(want), len(got))
		}
	}
}
