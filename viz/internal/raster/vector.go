package raster

import (
	"bytes"
	"fmt"
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

// Scaled returns a copy of the page k times larger in pixels (and DPI).
func (p *Page) Scaled(k int) *Page {
	f := float64(k)
	q := &Page{W: p.W * k, H: p.H * k, DPI: p.DPI * f, Bg: p.Bg, Pal: p.Pal}
	q.ops = make([]op, len(p.ops))
	for i, o := range p.ops {
		o.x, o.y, o.x1, o.y1, o.width = o.x*f, o.y*f, o.x1*f, o.y1*f, o.width*f
		if o.path != nil {
			pa := *o.path
			pa.Pts = make([][2]float64, len(o.path.Pts))
			for j, v := range o.path.Pts {
				pa.Pts[j] = [2]float64{v[0] * f, v[1] * f}
			}
			pa.Width *= f
			pa.Dash = nil
			for _, d := range o.path.Dash {
				pa.Dash = append(pa.Dash, d*f)
			}
			o.path = &pa
		}
		if o.cells != nil {
			cl := *o.cells
			cl.X, cl.Y, cl.W, cl.H = cl.X*k, cl.Y*k, cl.W*k, cl.H*k
			o.cells = &cl
		}
		q.ops[i] = o
	}
	return q
}

func (p *Page) drawVector(c vg.Canvas) {
	k := 72 / p.DPI
	H := float64(p.H)
	pt := func(x, y float64) vg.Point { return vg.Point{X: vg.Length(x * k), Y: vg.Length((H - y) * k)} }
	rectPath := func(x0, y0, x1, y1 float64) vg.Path {
		var pa vg.Path
		pa.Move(pt(x0, y0))
		pa.Line(pt(x1, y0))
		pa.Line(pt(x1, y1))
		pa.Line(pt(x0, y1))
		pa.Close()
		return pa
	}
	c.SetColor(p.Bg)
	c.Fill(rectPath(0, 0, float64(p.W), H))
	for i := range p.ops {
		o := &p.ops[i]
		switch o.kind {
		case opRect:
			if o.fill {
				c.SetColor(o.col)
				c.Fill(rectPath(o.x, o.y, o.x1, o.y1))
				continue
			}
			w := math.Max(1, o.width)
			c.SetColor(o.col)
			c.SetLineWidth(vg.Length(w * k))
			c.SetLineDash(nil, 0)
			c.Stroke(rectPath(o.x+w/2, o.y+w/2, o.x1-w/2, o.y1-w/2))
		case opLine:
			var pa vg.Path
			pa.Move(pt(o.x, o.y))
			pa.Line(pt(o.x1, o.y1))
			c.SetColor(o.col)
			c.SetLineWidth(vg.Length(math.Max(1, o.width) * k))
			c.SetLineDash(nil, 0)
			c.Stroke(pa)
		case opPath:
			q := o.path
			if len(q.Pts) == 0 {
				continue
			}
			var pa vg.Path
			pa.Move(pt(q.Pts[0][0], q.Pts[0][1]))
			for _, v := range q.Pts[1:] {
				pa.Line(pt(v[0], v[1]))
			}
			if q.Close {
				pa.Close()
			}
			if q.Fill {
				c.SetColor(q.FillC)
				c.Fill(pa)
			}
			if q.Stroke {
				c.SetColor(q.Color)
				c.SetLineWidth(vg.Length(q.Width * k))
				var d []vg.Length
				for _, x := range q.Dash {
					d = append(d, vg.Length(x*k))
				}
				c.SetLineDash(d, 0)
				c.Stroke(pa)
				c.SetLineDash(nil, 0)
			}
		case opText:
			st := o.style
			x0, y0, _, h := p.TextBox(o.x, o.y, o.text, st)
			asc, _ := p.metrics(st.Bold, st.Size)
			f := gonumFont(st.Bold, st.Size)
			c.SetColor(st.Color)
			if st.Rot90 {
				c.Push()
				c.Translate(pt(x0+asc, y0+h))
				c.Rotate(math.Pi / 2)
				c.FillString(f, vg.Point{}, o.text)
				c.Pop()
			} else {
				c.FillString(f, pt(x0, y0+asc), o.text)
			}
		case opCells:
			cl := o.cells
			img := cl.render(p.Pal)
			c.DrawImage(vg.Rectangle{Min: pt(float64(cl.X), float64(cl.Y+cl.H)), Max: pt(float64(cl.X+cl.W), float64(cl.Y))}, img)
		}
	}
}
