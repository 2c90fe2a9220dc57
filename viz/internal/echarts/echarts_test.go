package echarts

import (
	"bytes"
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
	a, err := Fragment(chart(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Fragment(chart(), Options{})
	if !bytes.Equal(a, b) {
		t.Fatal("same input, different output")
	}
	c := chart()
	c.Arrays[0].Bytes[0] ^= 1
	d, _ := Fragment(c, Options{})
	id := func(b []byte) string { i := bytes.Index(b, []byte(`data-av="`)); return string(b[i+9 : i+27]) }
	if id(a) == id(d) {
		t.Errorf("different data, same id %s", id(a))
	}
	if !strings.HasPrefix(id(a), "av") {
		t.Errorf("id %q", id(a))
	}
}

func TestEscaping(t *testing.T) {
	f, _ := Fragment(chart(), Options{})
	for _, bad := range []string{"<img", "</script><b>", "\u2028"} {
		if bytes.Contains(f, []byte(bad)) {
			t.Errorf("fragment contains raw %q", bad)
		}
	}
	p, _ := Page(chart(), Options{})
	if !bytes.Contains(p, []byte("<title>&lt;/script&gt;&lt;b&gt;t&lt;/b&gt;</title>")) {
		t.Error("title not escaped")
	}
}

func TestScripts(t *testing.T) {
	p, _ := Page(chart(), Options{})
	if bytes.Count(p, []byte("if(!window.echarts){(function(define,module,exports){")) != 1 {
		t.Error("page must carry the wrapped ECharts script exactly once")
	}
	if !bytes.Contains(p, []byte(`t.version="`+Version+`"`)) {
		t.Errorf("embedded script is not ECharts %s", Version)
	}
	if bytes.Contains([]byte(echartsJS), []byte("</script")) || bytes.Contains([]byte(runtimeJS), []byte("</script")) {
		t.Error("an embedded script contains </script")
	}
	u, _ := Page(chart(), Options{ScriptURL: "https://cdn.example/echarts.min.js"})
	if bytes.Contains(u, []byte("if(!window.echarts){")) || !bytes.Contains(u, []byte(`<script src="https://cdn.example/echarts.min.js">`)) ||
		!bytes.Contains(u, []byte("script-src &#39;unsafe-inline&#39; https://cdn.example;")) {
		t.Error("ScriptURL page should load the URL and allow it in its CSP")
	}
	f, _ := Fragment(chart(), Options{})
	if bytes.Contains(f, []byte("window.echarts){(function")) {
		t.Error("a plain fragment must not carry the script")
	}
	if !strings.Contains(License(), "Apache License") {
		t.Error("licence text missing")
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
	if _, err := Fragment(c, Options{}); err == nil {
		t.Error("a non-finite range must be refused")
	}
}

func BenchmarkF32(b *testing.B) {
	v := make([]float32, 1<<20)
	for i := 0; i < b.N; i++ {
		F32("w", v)
	}
}
