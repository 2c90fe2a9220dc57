package raster

import (
	"bytes"
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/vgpdf"
	"gonum.org/v1/plot/vg/vgsvg"
)

// SVG renders the page as SVG (fonts embedded, cells as embedded images).
func (p *Page) SVG() (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("raster: SVG rendering failed: %v", r)
		}
	}()
	k := 72 / p.DPI
	c := vgsvg.NewWith(vgsvg.UseWH(vg.Length(float64(p.W)*k), vg.Length(float64(p.H)*k)), vgsvg.EmbedFonts(true))
	p.drawVector(c)
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, err
	}
	// cells stay sharp when a viewer scales the page
	return bytes.ReplaceAll(buf.Bytes(), []byte("<image "), []byte(`<image style="image-rendering:pixelated" `)), nil
}

// PDF renders the page as a one-page PDF of the same size in points. The
// figure is embedded as an image drawn at three times the page's
// resolution: gonum/plot's PDF back end can only write text in the cp1252
// code page (no −, ∞, √, ᵀ) and cannot select the bold face.
func (p *Page) PDF() (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("raster: PDF rendering failed: %v", r)
		}
	}()
	k := 72 / p.DPI
	w, h := vg.Length(float64(p.W)*k), vg.Length(float64(p.H)*k)
	c := vgpdf.New(w, h)
	img := p.Scaled(3).Image()
	c.DrawImage(vg.Rectangle{Max: vg.Point{X: w, Y: h}}, img)
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// vector paints a page on a gonum/plot vg.Canvas (SVG, PDF): y flips
// upwards and pixels become points.
type vector struct {
	p *Page
	c vg.Canvas
	k float64 // points per pixel
}

func (p *Page) drawVector(c vg.Canvas) {
	v := &vector{p: p, c: c, k: 72 / p.DPI}
	c.SetColor(p.Bg)
	c.Fill(v.rectPath(0, 0, float64(p.W), float64(p.H)))
	for _, o := range p.ops {
		o.paint(v)
	}
}

func (v *vector) pt(x, y float64) vg.Point {
	return vg.Point{X: vg.Length(x * v.k), Y: vg.Length((float64(v.p.H) - y) * v.k)}
}

func (v *vector) rectPath(x0, y0, x1, y1 float64) vg.Path {
	var pa vg.Path
	pa.Move(v.pt(x0, y0))
	pa.Line(v.pt(x1, y0))
	pa.Line(v.pt(x1, y1))
	pa.Line(v.pt(x0, y1))
	pa.Close()
	return pa
}

// stroke draws pa with a solid line of w pixels.
func (v *vector) stroke(pa vg.Path, w float64, col color.RGBA) {
	v.c.SetColor(col)
	v.c.SetLineWidth(vg.Length(w * v.k))
	v.c.SetLineDash(nil, 0)
	v.c.Stroke(pa)
}

func (v *vector) rect(o *rectOp) {
	if o.fill {
		v.c.SetColor(o.col)
		v.c.Fill(v.rectPath(o.x0, o.y0, o.x1, o.y1))
		return
	}
	w := math.Max(1, o.width)
	v.stroke(v.rectPath(o.x0+w/2, o.y0+w/2, o.x1-w/2, o.y1-w/2), w, o.col)
}

func (v *vector) line(o *lineOp) {
	var pa vg.Path
	pa.Move(v.pt(o.x0, o.y0))
	pa.Line(v.pt(o.x1, o.y1))
	v.stroke(pa, math.Max(1, o.width), o.col)
}

func (v *vector) path(q *Path) {
	if len(q.Pts) == 0 {
		return
	}
	var pa vg.Path
	pa.Move(v.pt(q.Pts[0][0], q.Pts[0][1]))
	for _, p := range q.Pts[1:] {
		pa.Line(v.pt(p[0], p[1]))
	}
	if q.Close {
		pa.Close()
	}
	if q.Fill {
		v.c.SetColor(q.FillC)
		v.c.Fill(pa)
	}
	if q.Stroke {
		v.c.SetColor(q.Color)
		v.c.SetLineWidth(vg.Length(q.Width * v.k))
		var d []vg.Length
		for _, x := range q.Dash {
			d = append(d, vg.Length(x*v.k))
		}
		v.c.SetLineDash(d, 0)
		v.c.Stroke(pa)
		v.c.SetLineDash(nil, 0)
	}
}

func (v *vector) text(o *textOp) {
	st := o.style
	x0, y0, _, h := v.p.TextBox(o.x, o.y, o.s, st)
	asc, _ := v.p.metrics(st.Bold, st.Size)
	f := gonumFont(st.Bold, st.Size)
	v.c.SetColor(st.Color)
	if st.Rot90 {
		v.c.Push()
		v.c.Translate(v.pt(x0+asc, y0+h))
		v.c.Rotate(math.Pi / 2)
		v.c.FillString(f, vg.Point{}, o.s)
		v.c.Pop()
	} else {
		v.c.FillString(f, v.pt(x0, y0+asc), o.s)
	}
}

func (v *vector) cells(cl *Cells) {
	img := cl.render(v.p.Pal)
	v.c.DrawImage(vg.Rectangle{Min: v.pt(float64(cl.X), float64(cl.Y+cl.H)), Max: v.pt(float64(cl.X+cl.W), float64(cl.Y))}, img)
}
