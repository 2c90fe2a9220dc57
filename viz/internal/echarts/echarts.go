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
// writer produces the same figure in 8.3 ms as a 2.48 MB page that Chromium
// has painted ≈ 0.5–0.9 s after navigation (≈ 345× faster to write, 14×
// smaller). Beyond speed, go-echarts
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
// # Script inclusion
//
// The ECharts script (npm echarts, version [Version], dist/echarts.min.js,
// Apache-2.0, LICENSE and NOTICE in assets/) is embedded with go:embed and
// written once: a standalone page ([Page]) carries it inline; notebook
// fragments ([Fragment]) carry it only when asked to (the first figure of a
// kernel session); later fragments wait for window.echarts. The script is
// wrapped so that a page-wide AMD loader (require.js in the classic Notebook)
// cannot capture it: `define`, `module` and `exports` are shadowed while it
// runs, so it always sets window.echarts. Nothing is fetched from a network
// unless the caller passes a script URL.
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
	"strings"
)

// Version is the pinned npm version of the embedded ECharts script.
const Version = "5.6.0"

//go:embed assets/echarts.min.js
var echartsJS string

//go:embed assets/attnviz.js
var runtimeJS string

//go:embed assets/LICENSE
var license string

//go:embed assets/NOTICE
var notice string

//go:embed assets/LICENSE-d3
var licenseD3 string

// License returns the ECharts licence (with its d3 subcomponent licence)
// and notice texts shipped with the script.
func License() string { return license + "\n" + licenseD3 + "\n" + notice }

// U8Threshold is the number of values above which [Auto] quantizes to uint8.
// 512² float32 values are 1 MiB (1.4 MB of base64); one more doubling and a
// float32 page would pass the 3 MB budget of an n=1024 heatmap.
const U8Threshold = 512 * 512

// Array is one numeric array travelling to the browser.
type Array struct {
	Name  string
	Kind  string // "f32" (exact) or "u8" (quantized over [Lo, Hi])
	Lo    float64
	Hi    float64
	Bytes []byte
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
	// notebooks, GitHub's notebook preview, nbconvert without JS).
	Fallback []byte
}

// Options says how the script is included.
type Options struct {
	// Script: include the ECharts script and runtime inline.
	Script bool
	// ScriptURL, when set, loads ECharts from this URL instead of inlining
	// it (the runtime is still inline).
	ScriptURL string
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
	var sum [32]byte
	return "av" + hex.EncodeToString(h.Sum(sum[:0])[:8])
}

func themeName(t string) string {
	if t == "dark" {
		return "dark"
	}
	return "light"
}

// Fragment writes the chart as an HTML fragment for a notebook output:
// the container, optionally the scripts, and the mount call.
func Fragment(c *Chart, o Options) ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, c.size()+len(echartsJS)+len(runtimeJS)+4096)
	b, err := c.appendFragment(b, o, true)
	return b, err
}

// Page writes a standalone HTML document holding the chart and (unless
// o.ScriptURL is set) the ECharts script inline.
func Page(c *Chart, o Options) ([]byte, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, c.size()+len(echartsJS)+len(runtimeJS)+4096)
	bg, fg := "#ffffff", "#1f1f1f"
	if themeName(c.Theme) == "dark" {
		bg, fg = "#16181d", "#e8e8e8"
	}
	csp := "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:"
	if o.ScriptURL != "" {
		csp = "default-src 'none'; script-src 'unsafe-inline' " + cspSource(o.ScriptURL) + "; style-src 'unsafe-inline'; img-src data: blob:"
	}
	b = append(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta http-equiv=\"Content-Security-Policy\" content=\""...)
	b = append(b, html.EscapeString(csp)...)
	b = append(b, "\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"attnviz (ECharts "+Version+")\">\n<title>"...)
	title := c.Title
	if title == "" {
		title = "attnviz " + c.Kind
	}
	b = append(b, html.EscapeString(title)...)
	b = append(b, "</title>\n<style>html,body{margin:0;padding:0;background:"+bg+";color:"+fg+"}body{padding:12px;font:14px system-ui,-apple-system,\"Segoe UI\",sans-serif}</style>\n</head>\n<body>\n"...)
	o.Script = o.Script || o.ScriptURL == ""
	// A browser opening the file runs scripts: no fallback image needed
	// (it would cost up to 340 kB); say so if scripts are off.
	cc := *c
	cc.Fallback = nil
	b = append(b, "<noscript><p>This attnviz figure needs JavaScript.</p></noscript>\n"...)
	b, err := cc.appendFragment(b, o, false)
	if err != nil {
		return nil, err
	}
	b = append(b, "</body>\n</html>\n"...)
	return b, nil
}

// cspSource reduces a script URL to the origin CSP needs.
func cspSource(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			return u[:i+3+j]
		}
		return u
	}
	return "'self'"
}

func (c *Chart) size() int {
	n := 0
	for _, a := range c.Arrays {
		n += base64.StdEncoding.EncodedLen(len(a.Bytes)) + 64
	}
	return n + 2*len(c.Fallback) + 2048
}

// Scripts returns the <script> blocks that define window.echarts and
// window.attnviz (idempotent: they do nothing when already defined).
func Scripts(o Options) []byte {
	return appendScripts(nil, o)
}

func appendScripts(b []byte, o Options) []byte {
	if o.ScriptURL != "" {
		b = append(b, "<script src=\""...)
		b = append(b, html.EscapeString(o.ScriptURL)...)
		b = append(b, "\"></script>\n"...)
	} else {
		// Shadow AMD/CommonJS globals so require.js (classic Notebook)
		// cannot capture the UMD bundle: it then always sets self.echarts.
		b = append(b, "<script>\nif(!window.echarts){(function(define,module,exports){\n"...)
		b = append(b, echartsJS...)
		b = append(b, "\n}).call(self);}\n</script>\n"...)
	}
	b = append(b, "<script>\n"...)
	b = append(b, runtimeJS...)
	b = append(b, "</script>\n"...)
	return b
}

func (c *Chart) appendFragment(b []byte, o Options, notebook bool) ([]byte, error) {
	spec, err := json.Marshal(c.Spec)
	if err != nil {
		return nil, fmt.Errorf("echarts: cannot encode the %s spec: %w", c.Kind, err)
	}
	id := c.id(spec)
	w, h := c.Width, c.Height
	if w <= 0 {
		w = 720
	}
	if h <= 0 {
		h = 560
	}
	cls := "attnviz attnviz-" + themeName(c.Theme)
	b = append(b, "<div class=\""...)
	b = append(b, cls...)
	b = append(b, "\" data-av=\""...)
	b = append(b, id...)
	b = append(b, "\" data-kind=\""...)
	b = append(b, c.Kind...)
	b = append(b, "\" style=\"position:relative;width:"...)
	b = strconv.AppendInt(b, int64(w), 10)
	b = append(b, "px;min-height:"...)
	b = strconv.AppendInt(b, int64(h), 10)
	b = append(b, "px\">"...)
	if len(c.Fallback) > 0 {
		b = append(b, "<img class=\"attnviz-fallback\" alt=\""...)
		b = append(b, html.EscapeString(c.Title)...)
		b = append(b, "\" style=\"max-width:100%\" src=\"data:image/png;base64,"...)
		b = base64.StdEncoding.AppendEncode(b, c.Fallback)
		b = append(b, "\">"...)
	}
	b = append(b, "</div>\n"...)
	if o.Script || o.ScriptURL != "" {
		b = appendScripts(b, o)
	}
	// Mount call: spec and arrays are JSON (HTML-safe), arrays in base64.
	b = append(b, "<script>\n(function(){var id=\""...)
	b = append(b, id...)
	b = append(b, "\",kind=\""...)
	b = append(b, c.Kind...)
	b = append(b, "\",opt={\"w\":"...)
	b = strconv.AppendInt(b, int64(w), 10)
	b = append(b, ",\"h\":"...)
	b = strconv.AppendInt(b, int64(h), 10)
	b = append(b, ",\"theme\":\""...)
	b = append(b, themeName(c.Theme)...)
	b = append(b, "\"},spec="...)
	b = append(b, spec...)
	b = append(b, ",data={"...)
	for i, a := range c.Arrays {
		if i > 0 {
			b = append(b, ',')
		}
		nm, _ := json.Marshal(a.Name)
		b = append(b, nm...)
		b = append(b, ":[\""...)
		b = append(b, a.Kind...)
		b = append(b, "\","...)
		b = strconv.AppendFloat(b, a.Lo, 'g', -1, 64)
		b = append(b, ',')
		b = strconv.AppendFloat(b, a.Hi, 'g', -1, 64)
		b = append(b, ",\""...)
		b = base64.StdEncoding.AppendEncode(b, a.Bytes)
		b = append(b, "\"]"...)
	}
	b = append(b, "};\n"...)
	b = append(b, mountJS...)
	b = append(b, "})();\n</script>\n"...)
	return b, nil
}

// mountJS waits (in a notebook) for the scripts an earlier output carried,
// then mounts. After 20 s without them it adds a note under the fallback
// image saying how to get the script again, and keeps checking (every
// 100 ms, a cheap test) for 30 minutes (JupyterLab renders off-screen outputs late, so the
// output carrying the script may arrive after this one); the note goes when
// the chart mounts.
const mountJS = `function ready(){return window.echarts&&window.attnviz;}
function note(show){var els=document.querySelectorAll('div[data-av="'+id+'"]');for(var i=0;i<els.length;i++){var p=els[i].querySelector('.attnviz-noscript');
if(show&&!p&&!els[i].getAttribute('data-av-done')){p=document.createElement('p');p.className='attnviz-noscript';
p.textContent='attnviz: the ECharts script is not on this page yet (the output that carried it was cleared, is not trusted, or is not rendered). Call viz.ResendScript() and show the figure again.';els[i].appendChild(p);}
if(!show&&p){p.parentNode.removeChild(p);}}}
function go(){note(false);window.attnviz.mount(id,kind,opt,spec,data);}
if(ready()){go();}else{var n=0,t=setInterval(function(){n++;
if(ready()){clearInterval(t);go();}else if(n===200){note(true);}else if(n>18000){clearInterval(t);}},100);}
`
