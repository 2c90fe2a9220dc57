package viz

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The frontend tests: a notebook of figures executed by the real attnviz Go
// kernel (nbconvert), then rendered in every notebook frontend we can run
// headless, in one Chromium (web/frontends.mjs): JupyterLab 4 and Notebook 7
// (a prebuilt JupyterLite site from npm, fetched once into web/.cache), the
// classic Notebook 6 through its live server (also with a running kernel and
// a page reload), nbconvert's HTML from file://, a Colab-like page (each
// output in its own sandboxed iframe), a VS Code-like page (outputs inserted
// in reverse order, scripts run as VS Code runs them), the notebook with any
// one figure output removed, and untrusted or sanitised renderings (the
// fallback image must show). The README's table "where the figures work" is
// this test's result table (checked; -update rewrites it).

// frontendCells is the test notebook: one figure of each interactive view
// and a hostile token.
var frontendCells = []string{
	"import (\n\t\"github.com/attnviz/attnviz/tensor\"\n\t\"github.com/attnviz/attnviz/viz\"\n)",
	"toks := []string{\"the\", \"cat\", \"sat\", \"on\", \"</script><b>mat</b>\", \".\"}\n" +
		"q, k, v := tensor.RandN(1, 6, 8), tensor.RandN(2, 6, 8), tensor.RandN(3, 6, 8)\n" +
		"a := tensor.ScaledDotProductAttention(q, k, v, tensor.CausalMask(6))\n" +
		"stack := tensor.ScaledDotProductAttention(tensor.RandN(4, 2, 3, 6, 8), tensor.RandN(5, 2, 3, 6, 8), tensor.RandN(6, 2, 3, 6, 8), nil).Weights",
	"viz.Heatmap(a.Weights, viz.Tokens(toks), viz.Annotate(), viz.Title(\"causal attention\"))",
	"viz.Steps(q, k, v, viz.Mask(tensor.CausalMask(6)), viz.Tokens(toks), viz.Query(3))",
	"viz.Explorer(stack, viz.Tokens(toks))",
	"viz.HeadView(stack, viz.Tokens(toks))",
	"viz.TokenStrip(a.Weights, viz.Tokens(toks), viz.Query(4))",
	"big := tensor.ScaledDotProductAttention(tensor.RandN(7, 96, 16), tensor.RandN(8, 96, 16), tensor.RandN(9, 96, 16), tensor.CausalMask(96)).Weights\nviz.Grid(big.Reshape(1, 1, 96, 96))",
}

// nbDoc is the part of a notebook the test rewrites.
type nbDoc struct {
	Cells    []map[string]any `json:"cells"`
	Metadata map[string]any   `json:"metadata"`
	Format   int              `json:"nbformat"`
	Minor    int              `json:"nbformat_minor"`
}

func joinLines(v any) any {
	if l, ok := v.([]any); ok {
		var b strings.Builder
		for _, s := range l {
			b.WriteString(fmt.Sprint(s))
		}
		return b.String()
	}
	return v
}

// figureOutputs lists (cell, output) of the outputs holding an attnviz figure.
func (nb *nbDoc) figureOutputs() [][2]int {
	var out [][2]int
	for i, c := range nb.Cells {
		outs, _ := c["outputs"].([]any)
		for j, o := range outs {
			d, _ := o.(map[string]any)["data"].(map[string]any)
			if h, ok := joinLines(d["text/html"]).(string); ok && strings.Contains(h, "data-av=") {
				out = append(out, [2]int{i, j})
			}
		}
	}
	return out
}

func (nb *nbDoc) html(at [2]int) string {
	o := nb.Cells[at[0]]["outputs"].([]any)[at[1]].(map[string]any)
	return joinLines(o["data"].(map[string]any)["text/html"]).(string)
}

// clone deep-copies through JSON.
func (nb *nbDoc) clone() *nbDoc {
	b, _ := json.Marshal(nb)
	var c nbDoc
	json.Unmarshal(b, &c)
	return &c
}

// normalize joins multi-line strings of outputs (as a server does when it
// serves a notebook: JupyterLite would join the lines with commas) and marks
// code cells trusted or not (metadata.trusted, as jupyter_server does for a
// signed notebook).
func (nb *nbDoc) normalize(trusted bool) {
	for _, c := range nb.Cells {
		c["source"] = joinLines(c["source"])
		if c["cell_type"] != "code" {
			continue
		}
		md, _ := c["metadata"].(map[string]any)
		if md == nil {
			md = map[string]any{}
			c["metadata"] = md
		}
		md["trusted"] = trusted
		outs, _ := c["outputs"].([]any)
		for _, o := range outs {
			om := o.(map[string]any)
			if t, ok := om["text"]; ok {
				om["text"] = joinLines(t)
			}
			if d, ok := om["data"].(map[string]any); ok {
				for k, v := range d {
					d[k] = joinLines(v)
				}
			}
		}
	}
}

func (nb *nbDoc) write(t testing.TB, path string) {
	t.Helper()
	b, err := json.Marshal(nb)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

var kernelOnce struct {
	sync.Once
	err error
	out []byte
}

// needGoKernel skips (or fails under make test) without Jupyter, and builds
// the kernel (a no-op when it is up to date) so that the notebook runs the
// library as it is now.
func needGoKernel(t testing.TB) {
	t.Helper()
	for _, c := range []string{"jupyter", "jupyter-nbconvert"} {
		if _, err := exec.LookPath(c); err != nil {
			skipOrFail(t, "%s not installed (scripts/setup-deps.sh): notebook frontend tests skipped", c)
		}
	}
	kernelOnce.Do(func() {
		cmd := exec.Command("bash", filepath.Join(repoRoot(t), "kernel", "build.sh"))
		cmd.Dir = repoRoot(t)
		kernelOnce.out, kernelOnce.err = cmd.CombinedOutput()
	})
	if kernelOnce.err != nil {
		t.Fatalf("kernel/build.sh: %v\n%s", kernelOnce.err, kernelOnce.out)
	}
}

// executeNotebook runs cells on the attnviz-go kernel with nbconvert.
func executeNotebook(t testing.TB, dir, name string, cells []string) *nbDoc {
	t.Helper()
	nb := &nbDoc{Format: 4, Minor: 5, Metadata: map[string]any{
		"kernelspec":    map[string]any{"name": "attnviz-go", "display_name": "Go (attnviz)", "language": "go"},
		"language_info": map[string]any{"name": "go"}}}
	for i, c := range cells {
		nb.Cells = append(nb.Cells, map[string]any{"cell_type": "code", "execution_count": nil, "id": fmt.Sprintf("c%d", i),
			"metadata": map[string]any{}, "outputs": []any{}, "source": c})
	}
	in := filepath.Join(dir, name+".src.ipynb")
	nb.write(t, in)
	cmd := exec.Command("jupyter", "nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.kernel_name=attnviz-go",
		"--ExecutePreprocessor.timeout=180", "--output", name+".ipynb", in)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("executing the notebook on the attnviz-go kernel: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(dir, name+".ipynb"))
	if err != nil {
		t.Fatal(err)
	}
	var ex nbDoc
	if err := json.Unmarshal(b, &ex); err != nil {
		t.Fatal(err)
	}
	for i, c := range ex.Cells {
		outs, _ := c["outputs"].([]any)
		for _, o := range outs {
			if om := o.(map[string]any); om["output_type"] == "error" {
				t.Fatalf("cell %d: %v: %v", i, om["ename"], om["evalue"])
			}
		}
	}
	return &ex
}

// liteSite returns the JupyterLite site (JupyterLab 4.6.3, Notebook 7.6.2),
// fetched from npm on first use into web/.cache (ignored by git).
func liteSite(t testing.TB) string {
	t.Helper()
	const pkg, ver = "@galaxyproject/jupyterlite", "0.0.31"
	const integrity = "sha512-INX/ovO8uwNbmnUpWw7pUxPo1ChcLqv2QnDW1BZcoD+S98qVq1WbTSU9DoqrVoOP83J/GUsH2jMzuO2tBsdPEA=="
	cache := filepath.Join(repoRoot(t), "web", ".cache", "jupyterlite-"+ver)
	site := filepath.Join(cache, "package", "static", "dist", "_output")
	if _, err := os.Stat(filepath.Join(site, "lab", "index.html")); err == nil {
		return site
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		skipOrFail(t, "no npm: cannot fetch the JupyterLite site (%s@%s)", pkg, ver)
	}
	// One process at a time fills the cache.
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	lock, err := os.OpenFile(filepath.Join(cache, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := flock(lock); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(site, "lab", "index.html")); err == nil {
		return site
	}
	tmp, err := os.MkdirTemp(cache, "fetch-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command(npm, "pack", "--json", "--pack-destination", tmp, pkg+"@"+ver)
	cmd.Dir = tmp
	out, err := cmd.Output()
	if err != nil {
		skipOrFail(t, "npm pack %s@%s failed (offline?): %v", pkg, ver, err)
	}
	var packed []struct {
		Filename, Integrity string
	}
	if json.Unmarshal(out, &packed) != nil || len(packed) != 1 || packed[0].Integrity != integrity {
		t.Fatalf("npm pack %s@%s: unexpected result or integrity (want %s):\n%s", pkg, ver, integrity, out)
	}
	if b, err := exec.Command("tar", "-xzf", filepath.Join(tmp, packed[0].Filename), "-C", tmp).CombinedOutput(); err != nil {
		t.Fatalf("unpacking %s: %v\n%s", packed[0].Filename, err, b)
	}
	os.RemoveAll(filepath.Join(cache, "package"))
	if err := os.Rename(filepath.Join(tmp, "package"), filepath.Join(cache, "package")); err != nil {
		t.Fatal(err)
	}
	return site
}

type frontendResult struct {
	Name        string   `json:"name"`
	Expect      int      `json:"expect"`
	Painted     int      `json:"painted"`
	Fallbacks   int      `json:"fallbacks"`
	Blank       int      `json:"blank"`
	Figures     int      `json:"figures"`
	OK          bool     `json:"ok"`
	Errors      []string `json:"errors"`
	Console     []string `json:"console"`
	Ms          float64  `json:"ms"`
	AfterReload int      `json:"afterReload"`
}

// scenario is one rendering: kind, what it expects, and the README row it fills.
type scenario struct {
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	App        string `json:"app,omitempty"`
	NB         string `json:"nb,omitempty"`
	Windowing  string `json:"windowing,omitempty"`
	VW         int    `json:"vw,omitempty"`
	VH         int    `json:"vh,omitempty"`
	Scroll     bool   `json:"scroll,omitempty"`
	File       string `json:"file,omitempty"`
	URL        string `json:"url,omitempty"`
	Expect     int    `json:"expect"`
	Fallback   *int   `json:"fallback,omitempty"`
	Screenshot string `json:"screenshot,omitempty"`

	row, col string // README table: frontend, "interactive" or "fallback"
}

func TestInteractiveFrontends(t *testing.T) {
	if testing.Short() {
		t.Skip("notebook frontends skipped with -short")
	}
	node, _ := browserReady(t)
	needGoKernel(t)
	dir := pageDir(t)
	site := liteSite(t)

	ex := executeNotebook(t, dir, "figures", frontendCells)
	figs := ex.figureOutputs()
	n := len(figs)
	if n != 6 {
		t.Fatalf("the executed notebook has %d interactive figure outputs, want 6", n)
	}
	trusted, untrusted := ex.clone(), ex.clone()
	trusted.normalize(true)
	untrusted.normalize(false)
	// Other content than the signed copy (the notary's signature ignores
	// line splitting and the cells' trusted marks), so that it stays unsigned.
	untrusted.Metadata["attnviz"] = map[string]any{"variant": "unsigned"}
	notebooks := map[string]string{}
	save := func(name string, nb *nbDoc) string {
		p := filepath.Join(dir, name)
		nb.write(t, p)
		notebooks[name] = p
		return p
	}
	trustedPath := save("trusted.ipynb", trusted)
	save("untrusted.ipynb", untrusted)
	zero := 0
	all := n
	var scs []scenario
	add := func(s scenario) { scs = append(scs, s) }
	shot := func(name string) string {
		if os.Getenv("ATTNVIZ_WEB_OUT") != "" {
			return filepath.Join(dir, name+".png")
		}
		return ""
	}

	// JupyterLab 4 and Notebook 7 (JupyterLite).
	for _, w := range []string{"contentVisibility", "full"} {
		add(scenario{Name: "lab-" + w, Kind: "lite", App: "lab", NB: "trusted.ipynb", Windowing: w, Expect: n,
			row: "JupyterLab 4.6 (windowing " + w + ")", col: "interactive", Screenshot: shot("lab-" + w)})
	}
	add(scenario{Name: "lab-full-small-scrolled", Kind: "lite", App: "lab", NB: "trusted.ipynb", Windowing: "full", VW: 760, VH: 520, Scroll: true, Expect: n,
		row: "JupyterLab 4.6, 760×520 viewport, scrolled", col: "interactive", Screenshot: shot("lab-small")})
	add(scenario{Name: "nb7", Kind: "lite", App: "notebooks", NB: "trusted.ipynb", Expect: n, row: "Notebook 7.6", col: "interactive", Screenshot: shot("nb7")})
	add(scenario{Name: "lab-untrusted", Kind: "lite", App: "lab", NB: "untrusted.ipynb", Expect: 0, Fallback: &all,
		row: "JupyterLab 4.6 (windowing contentVisibility)", col: "fallback", Screenshot: shot("lab-untrusted")})
	add(scenario{Name: "nb7-untrusted", Kind: "lite", App: "notebooks", NB: "untrusted.ipynb", Expect: 0, Fallback: &all, row: "Notebook 7.6", col: "fallback"})

	// Any one figure output removed: in JupyterLab (full windowing) and in
	// nbconvert's HTML.
	for k, at := range figs {
		rm := trusted.clone()
		outs := rm.Cells[at[0]]["outputs"].([]any)
		rm.Cells[at[0]]["outputs"] = append(outs[:at[1]:at[1]], outs[at[1]+1:]...)
		name := fmt.Sprintf("removed-%d.ipynb", k)
		save(name, rm)
		if k == 0 {
			add(scenario{Name: "lab-" + strings.TrimSuffix(name, ".ipynb"), Kind: "lite", App: "lab", NB: name, Windowing: "full", Expect: n - 1,
				row: "JupyterLab 4.6, one figure output removed", col: "interactive"})
		}
	}

	// nbconvert HTML from file:// (lab template, as `jupyter nbconvert --to
	// html` writes it), and sanitised (scripts stripped): the fallback shows.
	nbconvert := func(name string, args ...string) string {
		cmd := exec.Command("jupyter", append([]string{"nbconvert", "--to", "html", "--output", name, trustedPath}, args...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("nbconvert --to html: %v\n%s", err, out)
		}
		return filepath.Join(dir, name+".html")
	}
	add(scenario{Name: "nbconvert", Kind: "file", File: nbconvert("nbconvert-lab"), Expect: n, row: "nbconvert HTML (file://)", col: "interactive"})
	add(scenario{Name: "nbconvert-classic", Kind: "file", File: nbconvert("nbconvert-classic", "--template", "classic"), Expect: n, row: "nbconvert HTML (file://)", col: "interactive (classic template)"})
	add(scenario{Name: "nbconvert-sanitized", Kind: "file", File: nbconvert("nbconvert-sanitized", "--sanitize-html"), Expect: 0, Fallback: &all,
		row: "nbconvert HTML (file://)", col: "fallback"})
	var removed []string
	for k := range figs {
		removed = append(removed, fmt.Sprintf("removed-%d.ipynb", k))
	}
	cmd := exec.Command("jupyter", append([]string{"nbconvert", "--to", "html"}, removed...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nbconvert: %v\n%s", err, out)
	}
	var removedPages []scenario
	for k := range figs {
		removedPages = append(removedPages, scenario{Name: fmt.Sprintf("nbconvert-removed-%d", k), Kind: "file", File: filepath.Join(dir, fmt.Sprintf("removed-%d.html", k)), Expect: n - 1,
			row: "nbconvert HTML, one figure output removed (each in turn)", col: "interactive"})
	}
	scs = append(scs, removedPages...)

	// Colab-like: every output in its own <iframe sandbox="allow-scripts" srcdoc>.
	var colab, vscode strings.Builder
	colab.WriteString("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Colab-like</title></head><body>\n")
	var htmls []string
	for _, at := range figs {
		h := trusted.html(at)
		htmls = append(htmls, h)
		fmt.Fprintf(&colab, "<div class=\"output\"><iframe sandbox=\"allow-scripts\" style=\"width:1250px;height:1000px;border:0\" srcdoc=\"%s\"></iframe></div>\n", html.EscapeString("<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>"+h+"</body></html>"))
	}
	colab.WriteString("</body></html>\n")
	colabPath := filepath.Join(dir, "colab.html")
	os.WriteFile(colabPath, []byte(colab.String()), 0o644)
	add(scenario{Name: "colab", Kind: "file", File: colabPath, Expect: n, row: "Colab-like (each output in a sandboxed iframe)", col: "interactive"})
	colabBare := strings.ReplaceAll(colab.String(), `sandbox="allow-scripts"`, `sandbox=""`)
	colabBarePath := filepath.Join(dir, "colab-noscript.html")
	os.WriteFile(colabBarePath, []byte(colabBare), 0o644)
	add(scenario{Name: "colab-noscript", Kind: "file", File: colabBarePath, Expect: 0, Fallback: &all, row: "Colab-like (each output in a sandboxed iframe)", col: "fallback"})

	// VS Code-like: outputs inserted last first; each output's scripts run as
	// VS Code's webview does (innerHTML, then a copy of each script appended
	// to the output's container and removed).
	outJSON, _ := json.Marshal(htmls)
	fmt.Fprintf(&vscode, `<!DOCTYPE html><html><head><meta charset="utf-8"><title>VS Code-like</title></head><body>
<div id="cells"></div>
<script>
var outs = %s, cells = document.getElementById("cells"), els = [];
for (var i = 0; i < outs.length; i++) { var c = document.createElement("div"); c.className = "cell-output"; cells.appendChild(c); els.push(c); }
function domEval(container) {
  var arr = Array.prototype.slice.call(container.getElementsByTagName("script"));
  for (var n = 0; n < arr.length; n++) {
    var s = document.createElement("script");
    s.text = arr[n].innerText;
    container.appendChild(s).parentNode.removeChild(s);
  }
}
for (var i = outs.length - 1; i >= 0; i--) { els[i].innerHTML = outs[i]; domEval(els[i]); }
</script></body></html>
`, outJSON)
	vscodePath := filepath.Join(dir, "vscode.html")
	os.WriteFile(vscodePath, []byte(vscode.String()), 0o644)
	add(scenario{Name: "vscode", Kind: "file", File: vscodePath, Expect: n, row: "VS Code-like (outputs in reverse order)", col: "interactive"})

	// The classic Notebook 6 (live server): signed notebook, unsigned one,
	// and a running kernel with a page reload.
	if nb6 := startNotebook6(t, dir); nb6 != "" {
		add(scenario{Name: "nb6", Kind: "url", URL: nb6 + "/notebooks/signed.ipynb?token=attnviz", Expect: n, row: "Notebook 6.4 (live server)", col: "interactive"})
		add(scenario{Name: "nb6-untrusted", Kind: "url", URL: nb6 + "/notebooks/untrusted.ipynb?token=attnviz", Expect: 0, Fallback: &all, row: "Notebook 6.4 (live server)", col: "fallback"})
		add(scenario{Name: "nb6-reload", Kind: "nb6live", URL: nb6 + "/notebooks/live.ipynb?token=attnviz", Expect: n,
			row: "Notebook 6.4, page reloaded while the kernel runs", col: "interactive"})
	}
	_ = zero

	// Interleave the heavy JupyterLite pages with the light ones.
	var lite, other, order []scenario
	for _, s := range scs {
		if s.Kind == "lite" {
			lite = append(lite, s)
		} else {
			other = append(other, s)
		}
	}
	for len(lite)+len(other) > 0 {
		if len(lite) > 0 {
			order, lite = append(order, lite[0]), lite[1:]
		}
		for k := 0; k < 2 && len(other) > 0; k++ {
			order, other = append(order, other[0]), other[1:]
		}
	}
	man := map[string]any{"lite": map[string]any{"site": site, "notebooks": notebooks}, "scenarios": order, "parallel": 2}
	mb, _ := json.Marshal(man)
	mpath := filepath.Join(dir, "frontends.json")
	os.WriteFile(mpath, mb, 0o644)
	ctx, cancel := context.WithTimeout(context.Background(), 26*time.Minute)
	defer cancel()
	cmd = exec.CommandContext(ctx, node, filepath.Join(repoRoot(t), "web", "frontends.mjs"), mpath)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, runErr := cmd.Output()
	res := map[string]frontendResult{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r frontendResult
		if json.Unmarshal(sc.Bytes(), &r) == nil && r.Name != "" {
			res[r.Name] = r
			t.Logf("%-28s painted %d/%d  fallback %d  blank %d  %5.0f ms %s %s", r.Name, r.Painted, r.Expect, r.Fallbacks, r.Blank, r.Ms, strings.Join(r.Errors, "; "), strings.Join(r.Console, " | "))
			if !r.OK {
				t.Errorf("%s: %s", r.Name, strings.Join(r.Errors, "; "))
			}
		}
	}
	if runErr != nil && len(res) == 0 {
		t.Fatalf("web/frontends.mjs: %v\n%s\n%s", runErr, out, stderr.String())
	}
	for _, s := range scs {
		if _, ok := res[s.Name]; !ok {
			t.Errorf("%s: no result (%s)", s.Name, stderr.String())
		}
	}
	checkReadmeTable(t, scs, res)
}

// startNotebook6 starts Debian's classic Notebook 6 server on the test's
// folder with the attnviz-go kernel, writes signed.ipynb (trusted by the
// server's notary) and live.ipynb (not executed; untrusted.ipynb is there
// already, with other bytes than signed.ipynb, so unsigned), and
// returns its URL ("" and a log line when jupyter-notebook is missing).
func startNotebook6(t *testing.T, dir string) string {
	t.Helper()
	jup, err := exec.LookPath("jupyter-notebook")
	if err != nil {
		skipOrFail(t, "no jupyter-notebook (Debian package jupyter-notebook): classic Notebook scenarios skipped")
		return ""
	}
	kdir := os.Getenv("JUPYTER_DATA_DIR")
	if kdir == "" {
		kdir = filepath.Join(os.Getenv("HOME"), ".local", "share", "jupyter")
	}
	env := append(os.Environ(), "JUPYTER_CONFIG_DIR="+filepath.Join(dir, "cfg"), "JUPYTER_DATA_DIR="+filepath.Join(dir, "data"),
		"JUPYTER_RUNTIME_DIR="+filepath.Join(dir, "run"), "JUPYTER_PATH="+kdir)
	// signed.ipynb: the executed notebook signed with this server's secret.
	src, _ := os.ReadFile(filepath.Join(dir, "figures.ipynb"))
	os.WriteFile(filepath.Join(dir, "signed.ipynb"), src, 0o644)
	trustNotebook(t, env, filepath.Join(dir, "signed.ipynb"))
	live := &nbDoc{Format: 4, Minor: 5, Metadata: map[string]any{"kernelspec": map[string]any{"name": "attnviz-go", "display_name": "Go (attnviz)", "language": "go"}}}
	for i, c := range frontendCells {
		live.Cells = append(live.Cells, map[string]any{"cell_type": "code", "execution_count": nil, "id": fmt.Sprintf("c%d", i), "metadata": map[string]any{}, "outputs": []any{}, "source": c})
	}
	live.write(t, filepath.Join(dir, "live.ipynb"))

	return startNotebookServer(t, jup, dir, env)
}

// startNotebookServer starts the Jupyter Notebook server jup on dir (token
// "attnviz", env its environment, its log in dir/server.log), stops it when
// the test ends and returns its URL once it answers.
func startNotebookServer(t *testing.T, jup, dir string, env []string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	srv := exec.Command(jup, "--no-browser", "--allow-root", fmt.Sprintf("--port=%d", port), "--ip=127.0.0.1",
		"--NotebookApp.token=attnviz", "--NotebookApp.notebook_dir="+dir, "--NotebookApp.disable_check_xsrf=True")
	srv.Env = env
	logf, _ := os.Create(filepath.Join(dir, "server.log"))
	srv.Stdout, srv.Stderr = logf, logf
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	t.Cleanup(func() { stopNotebookServer(srv, base); logf.Close() })
	for i := 0; i < 150; i++ {
		if r, err := http.Get(base + "/api?token=attnviz"); err == nil {
			r.Body.Close()
			if r.StatusCode == 200 {
				return base
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
	t.Fatalf("jupyter-notebook did not start:\n%s", log)
	return ""
}

// stopNotebookServer shuts the server's kernels down through its REST API
// (jupyter starts kernels in sessions of their own: killing the server
// alone leaves them running), then stops the server gracefully (SIGTERM:
// it cleans up what is left), killing it after 20 s.
func stopNotebookServer(srv *exec.Cmd, base string) {
	if r, err := http.Get(base + "/api/kernels?token=attnviz"); err == nil {
		var ks []struct {
			ID string `json:"id"`
		}
		json.NewDecoder(r.Body).Decode(&ks)
		r.Body.Close()
		for _, k := range ks {
			req, _ := http.NewRequest(http.MethodDelete, base+"/api/kernels/"+k.ID+"?token=attnviz", nil)
			if r, err := http.DefaultClient.Do(req); err == nil {
				r.Body.Close()
			}
		}
	}
	srv.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { srv.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		srv.Process.Kill()
		<-done
	}
}

// checkReadmeTable compares the README's "where the figures work" table with
// the results (-update rewrites it).
func checkReadmeTable(t *testing.T, scs []scenario, res map[string]frontendResult) {
	t.Helper()
	type cellv struct{ interactive, fallback []string }
	rows := map[string]*cellv{}
	var order []string
	for _, s := range scs {
		r, ok := res[s.Name]
		if !ok {
			continue
		}
		row := s.row
		if rows[row] == nil {
			rows[row] = &cellv{}
			order = append(order, row)
		}
		var v string
		mark := "✅"
		if !r.OK {
			mark = "❌"
		}
		if s.col == "fallback" {
			v = fmt.Sprintf("%s %d/%d images", mark, r.Fallbacks, *s.Fallback)
			rows[row].fallback = append(rows[row].fallback, v)
		} else {
			v = fmt.Sprintf("%s %d/%d painted", mark, r.Painted, s.Expect)
			if s.col != "interactive" {
				v += " (" + strings.TrimPrefix(s.col, "interactive (")
			}
			rows[row].interactive = append(rows[row].interactive, v)
		}
	}
	var b strings.Builder
	b.WriteString("| frontend | interactive figures | static fallback (scripts off) |\n|---|---|---|\n")
	for _, row := range order {
		c := rows[row]
		fb := strings.Join(c.fallback, "; ")
		if fb == "" {
			fb = "—"
		}
		in := strings.Join(dedupe(c.interactive), "; ")
		if in == "" {
			in = "—"
		}
		fmt.Fprintf(&b, "| %s | %s | %s |\n", row, in, fb)
	}
	table := b.String()
	readme := filepath.Join(repoRoot(t), "README.md")
	src, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- frontends table: go test ./viz -run TestInteractiveFrontends -update -->\n", "<!-- end of frontends table -->"
	i, j := bytes.Index(src, []byte(begin)), bytes.Index(src, []byte(end))
	if i < 0 || j < i {
		t.Errorf("README.md has no frontends table between %q and %q; the table:\n%s", begin, end, table)
		return
	}
	cur := string(src[i+len(begin) : j])
	if cur == table {
		return
	}
	if updateGolden() {
		out := append(append(append([]byte{}, src[:i+len(begin)]...), table...), src[j:]...)
		if err := os.WriteFile(readme, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's frontends table differs from the results (go test ./viz -run TestInteractiveFrontends -update):\n%s", table)
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	sort.Strings(out)
	return out
}

// TestInteractiveNotebook6 shows three figures in Debian's classic Jupyter
// Notebook 6 (require.js on the page, outputs inserted by jQuery): the first
// output carries the ECharts script, the others only wait for it. It runs
// when jupyter-notebook and the browser tools are installed, else skips.
func TestInteractiveNotebook6(t *testing.T) {
	if testing.Short() {
		t.Skip("notebook test skipped with -short")
	}
	node, _ := browserReady(t)
	jup, err := exec.LookPath("jupyter-notebook")
	if err != nil {
		t.Skip("no jupyter-notebook (Debian package jupyter-notebook): classic Notebook test skipped")
	}
	dir := t.TempDir()
	var outputs []any
	for _, name := range []string{"fig-heatmap", "fig-explorer", "fig-strip"} {
		h := figureCases(t)[name].HTML()
		outputs = append(outputs, map[string]any{
			"output_type": "display_data", "metadata": map[string]any{},
			"data": map[string]any{"text/html": h, "text/plain": name},
		})
	}
	// Each figure in its own cell, as a lesson has them.
	var cells []any
	for i, o := range outputs {
		cells = append(cells, map[string]any{"cell_type": "code", "execution_count": i + 1, "metadata": map[string]any{},
			"source": fmt.Sprintf("fig%d", i), "outputs": []any{o}})
	}
	nb := map[string]any{"nbformat": 4, "nbformat_minor": 4, "cells": cells,
		"metadata": map[string]any{"kernelspec": map[string]any{"name": "python3", "display_name": "Python 3", "language": "python"}}}
	b, _ := json.Marshal(nb)
	if err := os.WriteFile(filepath.Join(dir, "figs.ipynb"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "JUPYTER_CONFIG_DIR="+filepath.Join(dir, "cfg"), "JUPYTER_DATA_DIR="+filepath.Join(dir, "data"),
		"JUPYTER_RUNTIME_DIR="+filepath.Join(dir, "run"), "HOME="+dir)
	trustNotebook(t, env, filepath.Join(dir, "figs.ipynb"))
	base := startNotebookServer(t, jup, dir, env)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(repoRoot(t), "web", "notebook.mjs"), base+"/notebooks/figs.ipynb?token=attnviz", "3")
	cmd.Dir = filepath.Join(repoRoot(t), "web")
	out, err := cmd.CombinedOutput()
	t.Logf("%s", strings.TrimSpace(string(out)))
	if err != nil {
		t.Errorf("classic Notebook: %v", err)
	}
}

// trustNotebook signs the notebook at path with the secret of the Jupyter
// configuration env names, as `jupyter trust` does (without needing the
// jupyter-trust entry point).
func trustNotebook(t *testing.T, env []string, path string) {
	t.Helper()
	trust := exec.Command("/usr/bin/python3", "-c", `import sys, nbformat
from nbformat.sign import NotebookNotary
nb = nbformat.read(sys.argv[1], as_version=4)
NotebookNotary().sign(nb)`, path)
	trust.Env = env
	if out, err := trust.CombinedOutput(); err != nil {
		t.Fatalf("jupyter trust %s: %v\n%s", path, err, out)
	}
}
