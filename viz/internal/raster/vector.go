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
	return buf.Bytes(), nil
}

// PDF renders the page as PDF (fonts embedded).
func (p *Page) PDF() (out []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("raster: PDF rendering failed: %v", r)
		}
	}()
	k := 72 / p.DPI
	c := vgpdf.New(vg.Length(float64(p.W)*k), vg.Length(float64(p.H)*k))
	c.EmbedFonts(true)
	p.drawVector(c)
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
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
