package echarts

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"io"
	"math"
	"strings"
	"testing"
)

func chart() *Chart {
	return &Chart{Kind: "heatmap", Title: "</script><b>t</b>", Width: 300, Height: 200, Theme: "dark",
		Spec:   map[string]any{"q": []string{"</script><img src=x onerror=alert(1)>", "\u2028"}},
		Arrays: []Array{F32("w", []float32{0.25, 0.75, 1, 0})}}
}

func TestDeterministicAndContentAddressed(t *testing.T) {
	a, err := Fragment(chart())
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Fragment(chart())
	if !bytes.Equal(a, b) {
		t.Fatal("same input, different output")
	}
	c := chart()
	c.Arrays[0].Bytes[0] ^= 1
	d, _ := Fragment(c)
	id := func(b []byte) string { i := bytes.Index(b, []byte(`data-av="`)); return string(b[i+9 : i+27]) }
	if id(a) == id(d) {
		t.Errorf("different data, same id %s", id(a))
	}
	if !strings.HasPrefix(id(a), "av") {
		t.Errorf("id %q", id(a))
	}
}

func TestEscaping(t *testing.T) {
	f, _ := Fragment(chart())
	for _, bad := range []string{"<img", "</script><b>", "\u2028"} {
		if bytes.Contains(f, []byte(bad)) {
			t.Errorf("fragment contains raw %q", bad)
		}
	}
	p, _ := Page(chart())
	if !bytes.Contains(p, []byte("<title>&lt;/script&gt;&lt;b&gt;t&lt;/b&gt;</title>")) {
		t.Error("title not escaped")
	}
}

func TestLibrary(t *testing.T) {
	p, _ := Page(chart())
	f, _ := Fragment(chart())
	l := lib()
	for name, b := range map[string][]byte{"page": p, "fragment": f} {
		if bytes.Count(b, []byte(l.b64)) != 1 || bytes.Count(b, []byte(l.loader)) != 1 {
			t.Errorf("%s must carry the library and its loader exactly once", name)
		}
		if n := bytes.Count(b, []byte("<script")); n != 1 {
			t.Errorf("%s has %d <script> tags, want 1", name, n)
		}
	}
	if !bytes.Contains([]byte(echartsJS), []byte(`"`+Version+`"`)) {
		t.Errorf("embedded build is not ECharts %s", Version)
	}
	for name, js := range map[string]string{"echarts.min.js": echartsJS, "attnviz.js": runtimeJS, "inflate.min.js": inflateJS} {
		for _, bad := range []string{"</script", "<!--", "<script"} {
			if strings.Contains(strings.ToLower(js), bad) {
				t.Errorf("%s contains %q", name, bad)
			}
		}
	}
	// The blob inflates to the code that registers the runtime under its key.
	z, err := base64.StdEncoding.DecodeString(l.b64)
	if err != nil {
		t.Fatal(err)
	}
	code, err := io.ReadAll(flate.NewReader(bytes.NewReader(z)))
	if err != nil || len(code) != l.code {
		t.Fatalf("blob does not inflate: %v (%d bytes, want %d)", err, len(code), l.code)
	}
	if !bytes.HasPrefix(code, []byte(`window.__avlib=window.__avlib||{};window.__avlib["`+l.key+`"]=`)) {
		t.Errorf("library code starts %q", code[:80])
	}
	if !strings.HasPrefix(l.key, Version+"-") || len(l.key) != len(Version)+13 {
		t.Errorf("key %q", l.key)
	}
	for _, name := range []string{"Apache License", "ZRender", "Baidu", "fflate", "Arjun Barrett", "tslib", "d3"} {
		if !strings.Contains(License(), name) {
			t.Errorf("licence text lacks %q", name)
		}
	}
	if s := StripLibrary(f); bytes.Contains(s, []byte(l.b64)) || len(s) > 4000 {
		t.Errorf("StripLibrary left %d bytes", len(s))
	}
}

func TestQuantize(t *testing.T) {
	v := []float32{0, 0.5, 1, float32(math.NaN()), float32(math.Inf(-1)), 9}
	a := U8("w", v, 0, 1)
	if want := []byte{1, 128, 255, 0, 0, 255}; !bytes.Equal(a.Bytes, want) {
		t.Errorf("U8 = %v, want %v", a.Bytes, want)
	}
	if Auto("w", make([]float32, U8Threshold), 0, 1).Kind != "f32" || Auto("w", make([]float32, U8Threshold+1), 0, 1).Kind != "u8" {
		t.Error("Auto threshold")
	}
	c := chart()
	c.Arrays = []Array{{Name: "w", Kind: "u8", Lo: math.Inf(-1), Hi: 1}}
	if _, err := Fragment(c); err == nil {
		t.Error("a non-finite range must be refused")
	}
}

func BenchmarkF32(b *testing.B) {
	v := make([]float32, 1<<20)
	for i := 0; i < b.N; i++ {
		F32("w", v)
	}
}
