// Package echarts writes attnviz's interactive figures as HTML: a chart
// container, a compact spec (JSON) and the figure's numbers as base64 typed
// arrays, drawn in the browser by Apache ECharts plus a small runtime of our
// own (assets/attnviz.js) that paints large matrices on a canvas as one image.
//
// # Why not go-echarts
//
// We measured github.com/go-echarts/go-echarts v2.6.7 on this project's
// machine (web/goecharts holds the benchmark, a separate module so the main
// one does not depend on it) writing an n=1024 heatmap: 2.87 s and a 35 MB
// page (≈ 33 bytes per cell, each cell a JSON object that ECharts then draws
// as its own shape; the project's notes measured such a per-cell page at
// 6.8 s and 1.46 GB of heap in headless Chromium). This
// writer produced the same figure in 8.3 ms as a 2.48 MB page that Chromium
// painted ≈ 0.5–0.9 s after navigation (≈ 345× faster to write, 14×
// smaller); since the arrays and the library travel deflated, the page of
// an attention matrix is ≈ 0.4 MB. Beyond speed, go-echarts
//
//   - spends most of its render time in one regexp over the whole page;
//   - loads its script from a CDN (AssetsHost) with no inline option, which
//     breaks offline classrooms;
//   - makes random chart ids, which break golden files and notebook diffs;
//   - cannot express our views (image-backed heatmaps, BertViz-style head
//     views, linked selectors) except through raw JS strings.
//
// So attnviz does not use it: this package is a thin writer, a few
// strconv/base64 appends into one buffer. Values travel as little-endian
// float32 (exact tooltips) or, above [U8Threshold] values, as uint8 codes
// quantized over the colour range (the picture is exact to one palette step;
// tooltips then say "≈"). The output is a pure function of the input: ids are
// content hashes, the spec is written by encoding/json from structs (fixed
// key order), no timestamps, no randomness.
//
// # Script inclusion: every output carries what it needs
//
// Notebook frontends isolate outputs (Colab puts each in its own iframe,
// JupyterLab renders off-screen cells late, a cleared or re-run cell takes its
// output away, a reloaded page loses what earlier outputs loaded), so every
// fragment is self-sufficient: it carries the library and mounts on its own
// element. The library is a custom ECharts [Version] build with only the
// parts the views use (assets/echarts.min.js, built reproducibly from npm by
// web/echarts/build.mjs with esbuild; licences in assets/) plus our runtime
// (assets/attnviz.js), raw-deflated into one base64 blob (≈ 190 kB). Each
// fragment also carries fflate's inflate (assets/inflate.min.js, ≈ 4 kB,
// synchronous, so the figure draws while its script runs and
// document.currentScript still names it). The first fragment on a page
// inflates the blob and runs it once as a <script>; it registers itself under
// its content key in window.__avlib, so later fragments (and fragments of
// other attnviz versions, under their own keys) skip straight to drawing.
// Large arrays travel raw-deflated too.
//
// # Safety
//
// Titles and tokens only ever reach the DOM through textContent or ECharts
// canvas text; inside <script> all JSON is written by encoding/json, which
// escapes <, >, & and U+2028/9, so a token such as
// `</script><img src=x onerror=alert(1)>` stays text. Standalone pages also
// carry a Content-Security-Policy that forbids every network fetch.
package echarts

import (
	"bytes"
	"compress/flate"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html"
	"math"
	"strconv"
	"sync"
)

// Version is the pinned npm version of the ECharts the custom build is made from.
const Version = "5.6.0"

//go:embed assets/echarts.min.js
var echartsJS string

//go:embed assets/inflate.min.js
var inflateJS string

//go:embed assets/attnviz.js
var runtimeJS string

//go:embed assets/LICENSE
var license string

//go:embed assets/NOTICE
var notice string

//go:embed assets/LICENSE-d3
var licenseD3 string

//go:embed assets/LICENSE-zrender
var licenseZRender string

//go:embed assets/LICENSE-tslib
var licenseTslib string

//go:embed assets/LICENSE-fflate
var licenseFflate string

// License returns the licence and notice texts of the JavaScript every
// interactive figure carries: Apache ECharts (Apache-2.0, with its d3 part,
// BSD-3-Clause), ZRender (BSD-3-Clause), tslib (0BSD) and fflate (MIT).
func License() string {
	return license + "\n" + licenseD3 + "\n" + notice + "\n\nZRender:\n" + licenseZRender +
		"\n\ntslib:\n" + licenseTslib + "\n\nfflate:\n" + licenseFflate
}

// U8Threshold is the number of values above which [Auto] quantizes to uint8.
// 512² float32 values are 1 MiB (1.4 MB of base64); one more doubling and a
// float32 page would pass the 3 MB budget of an n=1024 heatmap.
const U8Threshold = 512 * 512

// compressMin: arrays of at least this many bytes travel raw-deflated (when
// that is smaller).
const compressMin = 1024

// Array is one numeric array travelling to the browser.
type Array struct {
	Name string
	// Kind is "f32" (exact) or a byte a value, code 0 masked: "u8"
	// (codes 1…255 linear over [Lo, Hi]), "ulin" (code c is Lo + (c−1)·Hi)
	// or "ulog" (code 1 is 0, code c ≥ 2 is Lo·2^((c−2)/Hi)).
	Kind  string
	Lo    float64
	Hi    float64
	Bytes []byte
	// Z, when set, is Bytes raw-deflated already (the writer carries it
	// as it is instead of deflating Bytes again).
	Z []byte
	// Late arrays are written after the figure's script, in a data-only
	// <script type="application/json" class="attnviz-late" data-name=NAME>
	// element: the browser paints the figure before it has parsed them (a
	// view reads them when it needs them).
	Late bool
}

// F32 encodes v exactly as little-endian float32.
func F32(name string, v []float32) Array {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return Array{Name: name, Kind: "f32", Bytes: b}
}

// U8 quantizes v over [lo, hi]: code 0 marks a non-finite value (masked),
// codes 1..255 map linearly to lo..hi (values outside are clamped). The
// browser decodes code c as lo + (c-1)/254·(hi-lo).
func U8(name string, v []float32, lo, hi float64) Array {
	b := make([]byte, len(v))
	span := hi - lo
	k := 0.0
	if span > 0 {
		k = 254 / span
	}
	flo := float32(lo)
	fk := float32(k)
	for i, x := range v {
		if x != x || x > math.MaxFloat32 || x < -math.MaxFloat32 {
			b[i] = 0
			continue
		}
		q := (x-flo)*fk + 1.5
		if q < 1 {
			q = 1
		} else if q > 255 {
			q = 255
		}
		b[i] = byte(q)
	}
	return Array{Name: name, Kind: "u8", Lo: lo, Hi: hi, Bytes: b}
}

// Auto picks [F32] for up to [U8Threshold] values and [U8] above.
func Auto(name string, v []float32, lo, hi float64) Array {
	if len(v) <= U8Threshold {
		return F32(name, v)
	}
	return U8(name, v, lo, hi)
}

// Chart is one interactive figure.
type Chart struct {
	Kind   string  // runtime view: heatmap, explorer, headview, steps, strip
	Title  string  // page title (plain text)
	Width  int     // CSS pixels
	Height int     // CSS pixels
	Theme  string  // "light" or "dark"
	Spec   any     // view parameters, written with encoding/json
	Arrays []Array // numbers
	// Fallback, when set, is a PNG shown in place of the chart until the
	// script runs (and forever where scripts are blocked: untrusted
	// notebooks, GitHub's notebook preview, nbconvert without JS). Without
	// one, a line of text says what the output holds.
	Fallback []byte
}

func (c *Chart) check() error {
	if c == nil {
		return fmt.Errorf("echarts: nil chart")
	}
	for _, a := range c.Arrays {
		if math.IsNaN(a.Lo) || math.IsInf(a.Lo, 0) || math.IsNaN(a.Hi) || math.IsInf(a.Hi, 0) {
			return fmt.Errorf("echarts: array %q has a non-finite range [%v, %v]", a.Name, a.Lo, a.Hi)
		}
	}
	return nil
}

// ID returns the chart's content hash id ("av" + 16 hex digits).
func (c *Chart) id(spec []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d\x00%d\x00%s\x00", c.Kind, c.Title, c.Width, c.Height, c.Theme)
	h.Write(spec)
	for _, a := range c.Arrays {
		fmt.Fprintf(h, "\x00%s\x00%s\x00%g\x00%g\x00%d\x00", a.Name, a.Kind, a.Lo, a.Hi, len(a.Bytes))
		h.Write(a.Bytes)
	}
	h.Write([]byte(lib().key))
	var sum [32]byte
	return "av" + hex.EncodeToString(h.Sum(sum[:0])[:8])
}

func themeName(t string) string {
	if t == "dark" {
		return "dark"
	}
	return "light"
}

// library is the blob every fragment carries.
type library struct {
	key    string // "<ECharts version>-<12 hex digits of the code's hash>"
	b64    string // base64 of the raw-deflated code
	code   int    // bytes of code before compression
	loader string // the <script> prelude that runs the blob once per page
}

// lib builds the blob once per process: ECharts and the runtime in one
// function that registers the runtime in window.__avlib[key].
var lib = sync.OnceValue(func() library {
	inner := "(function(){\n" + echartsJS + "\n;" + runtimeJS + "\nreturn attnvizRuntime(attnvizECharts,window.__avinf);})()"
	sum := sha256.Sum256([]byte(inner))
	key := Version + "-" + hex.EncodeToString(sum[:6])
	code := "window.__avlib=window.__avlib||{};window.__avlib[\"" + key + "\"]=" + inner + ";\n"
	z := deflate([]byte(code), flate.BestCompression)
	l := library{key: key, b64: base64.StdEncoding.EncodeToString(z), code: len(code)}
	// The prelude: find or build the runtime (rt). Errors leave the
	// fallback image in place and say why in the console.
	l.loader = "var W=window,K=\"" + key + "\",rt=W.__avlib&&W.__avlib[K];\n" +
		"if(!rt){var I=W.__avinf||(W.__avinf=(function(){\n" + inflateJS + "\nreturn attnvizInflate.inflateSync;})());\n" +
		"var z=L,u;if(Uint8Array.fromBase64){u=Uint8Array.fromBase64(z);}else{z=atob(z);u=new Uint8Array(z.length);for(var i=0;i<z.length;i++){u[i]=z.charCodeAt(i);}}\n" +
		"var d=document,c=d.createElement(\"script\");c.text=new TextDecoder().decode(I(u));(d.head||d.documentElement).appendChild(c);c.parentNode.removeChild(c);rt=W.__avlib[K];}\n"
	return l
})

// LibraryKey names the library build the fragments carry (ECharts version
// and a hash of the code).
func LibraryKey() string { return lib().key }

// LibrarySizes returns the sizes in bytes of the library code, of its
// base64 blob as carried by every fragment, and of the inflate prelude.
func LibrarySizes() (code, blob, loader int) {
	l := lib()
	return l.code, len(l.b64), len(l.loader)
}

func deflate(b []byte, level int) []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, level)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

// Fragment writes the chart as an HTML fragment for a notebook output: the
// container (holding the fallback image) with the script inside it that
// carries the library and the data and draws the chart.
func Fragment(c *Chart) ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	l := lib()
	b := make([]byte, 0, c.size()+len(l.b64)+len(l.loader)+4096)
	return c.appendFragment(b)
}

// Page writes a standalone HTML document holding the chart (and the
// library, as every fragment does).
func Page(c *Chart) ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	l := lib()
	b := make([]byte, 0, c.size()+len(l.b64)+len(l.loader)+4096)
	bg, fg := "#ffffff", "#1f1f1f"
	if themeName(c.Theme) == "dark" {
		bg, fg = "#16181d", "#e8e8e8"
	}
	csp := "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:"
	b = append(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content=\""...)
	b = append(b, html.EscapeString(csp)...)
	b = append(b, "\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"attnviz (ECharts "+Version+")\">\n<title>"...)
	title := c.Title
	if title == "" {
		title = "attnviz " + c.Kind
	}
	b = append(b, html.EscapeString(title)...)
	b = append(b, "</title>\n<style>html,body{margin:0;padding:0;background:"+bg+";color:"+fg+"}body{padding:12px;font:14px system-ui,-apple-system,\"Segoe UI\",sans-serif}</style>\n</head>\n<body>\n"...)
	// A browser opening the file runs scripts: no fallback image needed
	// (it would cost up to 340 kB); say so if scripts are off.
	cc := *c
	cc.Fallback = nil
	b = append(b, "<noscript><p>This attnviz figure needs JavaScript.</p></noscript>\n"...)
	b, err := cc.appendFragment(b)
	if err != nil {
		return nil, err
	}
	b = append(b, "</body>\n</html>\n"...)
	return b, nil
}

func (c *Chart) size() int {
	n := 0
	for _, a := range c.Arrays {
		if a.Z != nil {
			n += base64.StdEncoding.EncodedLen(len(a.Z)) + 64
			continue
		}
		n += base64.StdEncoding.EncodedLen(len(a.Bytes)) + 64
	}
	return n + 2*len(c.Fallback) + 2048
}

func (c *Chart) appendFragment(b []byte) ([]byte, error) {
	spec, err := json.Marshal(c.Spec)
	if err != nil {
		return nil, fmt.Errorf("echarts: cannot encode the %s spec: %w", c.Kind, err)
	}
	l := lib()
	id := c.id(spec)
	w, h := c.Width, c.Height
	if w <= 0 {
		w = 720
	}
	if h <= 0 {
		h = 560
	}
	// No min-height: where scripts do not run, the fallback image (or
	// note) alone sizes the output; the chart sets its own height.
	b = fmt.Appendf(b, `<div class="attnviz attnviz-%s" data-av="%s" data-kind="%s" style="position:relative;width:%dpx;max-width:100%%">`,
		themeName(c.Theme), id, c.Kind, w)
	if len(c.Fallback) > 0 {
		b = append(b, "<img class=\"attnviz-fallback\" alt=\""...)
		b = append(b, html.EscapeString(c.Title)...)
		b = append(b, "\" style=\"max-width:100%\" src=\"data:image/png;base64,"...)
		b = base64.StdEncoding.AppendEncode(b, c.Fallback)
		b = append(b, "\">"...)
		// Under the picture, where scripts do not run (an untrusted
		// notebook, GitHub's preview), how to get the interactive figure.
		b = append(b, "<p class=\"attnviz-static\" style=\"font:12px sans-serif;color:#666;margin:4px 0\">"...)
		b = append(b, staticHint...)
		b = append(b, "</p>"...)
	} else {
		b = append(b, "<p class=\"attnviz-noscript\" style=\"font:13px sans-serif;padding:8px;border:1px dashed #999\">"...)
		b = append(b, html.EscapeString(noScriptText(c.Title))...)
		b = append(b, "</p>"...)
	}
	// The script sits inside the container: document.currentScript.parentNode
	// is the figure's element wherever the frontend renders it.
	b = append(b, "<script>(function(s,L){\n"...)
	b = append(b, l.loader...)
	b = fmt.Appendf(b, `rt.boot(s,"%s","%s",{"w":%d,"h":%d,"theme":"%s"},`, id, c.Kind, w, h, themeName(c.Theme))
	b = append(b, spec...)
	b = append(b, ",{"...)
	// Spec and arrays are JSON (HTML-safe: encoding/json escapes <, >, &),
	// arrays in base64.
	first := true
	for _, a := range c.Arrays {
		if a.Late {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		nm, _ := json.Marshal(a.Name)
		b = append(b, nm...)
		b = appendArray(append(b, ':'), a)
	}
	b = append(b, "});\n})(document.currentScript,\""...)
	b = append(b, l.b64...)
	b = append(b, "\");</script>"...)
	for _, a := range c.Arrays {
		if !a.Late {
			continue
		}
		nm, _ := json.Marshal(a.Name)
		b = append(b, "<script type=\"application/json\" class=\"attnviz-late\" data-name="...)
		b = append(b, nm...) // a JSON string is a quoted attribute value (encoding/json escapes <, >, &)
		b = append(b, '>')
		b = appendArray(b, a)
		b = append(b, "</script>"...)
	}
	b = append(b, "</div>\n"...)
	return b, nil
}

// appendArray writes a as [kind, lo, hi, "base64", compressed?].
func appendArray(b []byte, a Array) []byte {
	{
		b = append(b, "[\""...)
		b = append(b, a.Kind...)
		b = append(b, "\","...)
		b = strconv.AppendFloat(b, a.Lo, 'g', -1, 64)
		b = append(b, ',')
		b = strconv.AppendFloat(b, a.Hi, 'g', -1, 64)
		b = append(b, ",\""...)
		raw, z := a.Bytes, false
		if a.Z != nil {
			raw, z = a.Z, true
		} else if len(raw) >= compressMin {
			if d := deflate(raw, flate.DefaultCompression); len(d) < len(raw)*9/10 {
				raw, z = d, true
			}
		}
		b = base64.StdEncoding.AppendEncode(b, raw)
		if z {
			b = append(b, "\",1]"...)
		} else {
			b = append(b, "\"]"...)
		}
	}
	return b
}

// staticHint is the line under the fallback picture, hidden when the
// interactive figure is drawn.
const staticHint = "Static picture of an interactive figure: run the cell, or trust the notebook (File › Trust Notebook), to hover, zoom and pick heads."

// noScriptText is what an output without a fallback image shows where
// scripts do not run.
func noScriptText(title string) string {
	s := "Interactive attnviz figure"
	if title != "" {
		s += " “" + title + "”"
	}
	return s + ": it draws where the notebook is trusted and scripts run (the static image is in this output's image/png; fig.Save(\"fig.html\") writes it as a page)."
}

// StripLibrary replaces the library blob and its loader in a fragment or
// page with short markers, for golden files and size reports of what a
// figure adds to it.
func StripLibrary(b []byte) []byte {
	l := lib()
	b = bytes.Replace(b, []byte(l.b64), []byte("LIBRARY"), -1)
	return bytes.Replace(b, []byte(l.loader), []byte("LOADER\n"), -1)
}
