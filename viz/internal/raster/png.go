package raster

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"runtime"
	"sort"
	"sync"

	"git.sr.ht/~sbinet/gg"
	"golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
)

// ---- glyph cache (faces from opentype rasterize every call; labels repeat)

type glyphKey struct {
	f faceKey
	r rune
}

type glyph struct {
	mask    *image.Alpha // nil for blank glyphs
	off     image.Point  // top-left of the mask relative to the dot
	advance fixed.Int26_6
}

var (
	glyphMu sync.Mutex
	glyphs  = map[glyphKey]*glyph{}
)

func getGlyph(fk faceKey, f font.Face, r rune) *glyph {
	k := glyphKey{fk, r}
	glyphMu.Lock()
	defer glyphMu.Unlock()
	if g, ok := glyphs[k]; ok {
		return g
	}
	faceMu.Lock()
	dr, mask, mp, adv, ok := f.Glyph(fixed.Point26_6{}, r)
	g := &glyph{advance: adv}
	if ok && !dr.Empty() {
		a := image.NewAlpha(image.Rect(0, 0, dr.Dx(), dr.Dy()))
		draw.Draw(a, a.Bounds(), mask, mp, draw.Src)
		g.mask = a
		g.off = dr.Min
	}
	faceMu.Unlock()
	glyphs[k] = g
	return g
}

// textMask renders s into an alpha mask w×h with the baseline at asc.
func (p *Page) textMask(s string, st TextStyle) (*image.Alpha, float64) {
	fk := faceKey{st.Bold, st.Size, p.DPI}
	f := face(st.Bold, st.Size, p.DPI)
	if f == nil {
		return nil, 0
	}
	asc, desc := p.metrics(st.Bold, st.Size)
	w := int(math.Ceil(p.TextWidth(s, st.Size, st.Bold))) + 2
	h := int(math.Ceil(asc + desc))
	if w <= 0 || h <= 0 {
		return nil, 0
	}
	m := image.NewAlpha(image.Rect(0, 0, w, h))
	dot := fixed.I(0)
	base := int(math.Round(asc))
	prev := rune(-1)
	for _, r := range s {
		if prev >= 0 {
			faceMu.Lock()
			dot += f.Kern(prev, r)
			faceMu.Unlock()
		}
		g := getGlyph(fk, f, r)
		if g.mask != nil {
			x := dot.Round() + g.off.X
			y := base + g.off.Y
			rect := g.mask.Bounds().Add(image.Pt(x, y))
			draw.DrawMask(m, rect, image.Opaque, image.Point{}, g.mask, image.Point{}, draw.Over)
		}
		dot += g.advance
		prev = r
	}
	return m, asc
}

func rot90(m *image.Alpha) *image.Alpha {
	b := m.Bounds()
	w, h := b.Dx(), b.Dy()
	r := image.NewAlpha(image.Rect(0, 0, h, w))
	for y := 0; y < h; y++ {
		row := m.Pix[y*m.Stride : y*m.Stride+w]
		for x, a := range row {
			if a != 0 {
				// text x runs upwards; text y (down) runs right.
				r.Pix[(w-1-x)*r.Stride+y] = a
			}
		}
	}
	return r
}

// ---- rendering

type pngRenderer struct {
	p     *Page
	img   *image.RGBA
	out   *image.Paletted
	pal   []uint32
	index map[uint32]uint8
	ctx   *gg.Context

	isClean []bool            // per op: a cells op nothing is drawn over
	clean   []image.Rectangle // their rectangles, skipped by convert
}

func pack(c color.RGBA) uint32 {
	return uint32(c.R) | uint32(c.G)<<8 | uint32(c.B)<<16 | uint32(c.A)<<24
}

// Image renders the page to an 8-bit paletted image.
func (p *Page) Image() *image.Paletted {
	if p.Pal == nil {
		p.Pal = &Palette{}
	}
	bgIdx := p.Pal.Add(p.Bg)
	pal := p.Pal.Colors()
	r := &pngRenderer{p: p, index: map[uint32]uint8{}}
	r.img = getRGBA(p.W, p.H)
	defer putRGBA(r.img)
	r.out = image.NewPaletted(r.img.Rect, pal)
	r.pal = make([]uint32, 256)
	for i, c := range p.Pal.cols {
		r.pal[i] = pack(c)
		if _, ok := r.index[r.pal[i]]; !ok {
			r.index[r.pal[i]] = uint8(i)
		}
	}
	fillRGBA(r.img, r.img.Rect, p.Bg)
	if bgIdx != 0 {
		for i := range r.out.Pix {
			r.out.Pix[i] = bgIdx
		}
	}
	r.findClean()
	for i := range p.ops {
		if p.ops[i].kind == opCells && r.isClean[i] {
			r.cellsIndexOnly(p.ops[i].cells)
			continue
		}
		r.do(&p.ops[i])
	}
	r.convert()
	return r.out
}

// findClean marks the cells operations that no later operation draws over:
// their pixels go straight into the paletted image, never through the RGBA
// canvas, and the conversion skips them.
func (r *pngRenderer) findClean() {
	ops := r.p.ops
	r.isClean = make([]bool, len(ops))
	// bounding boxes of the drawing after each point, scanned backwards
	var later []image.Rectangle
	for i := len(ops) - 1; i >= 0; i-- {
		o := &ops[i]
		if o.kind == opCells {
			c := o.cells
			rect := image.Rect(c.X, c.Y, c.X+c.W, c.Y+c.H).Intersect(r.img.Rect)
			clean := !rect.Empty()
			for _, b := range later {
				if b.Overlaps(rect) {
					clean = false
					break
				}
			}
			if clean {
				r.isClean[i] = true
				r.clean = append(r.clean, rect)
			}
		}
		if o.kind == opRect && !o.fill {
			// an outline covers its four edges (drawn exactly as do does), not its inside
			w := math.Max(1, math.Round(o.width))
			x0, y0, x1, y1 := math.Round(o.x), math.Round(o.y), math.Round(o.x1), math.Round(o.y1)
			later = append(later, irect(x0, y0, x1, y0+w), irect(x0, y1-w, x1, y1),
				irect(x0, y0, x0+w, y1), irect(x1-w, y0, x1, y1))
			continue
		}
		later = append(later, r.p.bbox(o))
	}
}

// bbox is a generous pixel bounding box of what an operation draws.
func (p *Page) bbox(o *op) image.Rectangle {
	grow := func(x0, y0, x1, y1, m float64) image.Rectangle {
		return image.Rect(int(math.Floor(math.Min(x0, x1)-m)), int(math.Floor(math.Min(y0, y1)-m)),
			int(math.Ceil(math.Max(x0, x1)+m)), int(math.Ceil(math.Max(y0, y1)+m)))
	}
	switch o.kind {
	case opText:
		x0, y0, w, h := p.TextBox(o.x, o.y, o.text, o.style)
		return grow(x0, y0, x0+w, y0+h, 3)
	case opRect:
		return irect(o.x, o.y, o.x1, o.y1) // fills; outlines are split by findClean
	case opLine:
		// axis-aligned lines are drawn as exact fills (see do)
		w := math.Max(1, math.Round(o.width))
		if o.y == o.y1 {
			y := math.Round(o.y - w/2)
			return irect(math.Min(o.x, o.x1), y, math.Max(o.x, o.x1), y+w)
		}
		if o.x == o.x1 {
			x := math.Round(o.x - w/2)
			return irect(x, math.Min(o.y, o.y1), x+w, math.Max(o.y, o.y1))
		}
		return grow(o.x, o.y, o.x1, o.y1, w/2+2)
	case opPath:
		if len(o.path.Pts) == 0 {
			return image.Rectangle{}
		}
		x0, y0, x1, y1 := o.path.Pts[0][0], o.path.Pts[0][1], o.path.Pts[0][0], o.path.Pts[0][1]
		for _, v := range o.path.Pts {
			x0, y0, x1, y1 = math.Min(x0, v[0]), math.Min(y0, v[1]), math.Max(x1, v[0]), math.Max(y1, v[1])
		}
		return grow(x0, y0, x1, y1, o.path.Width+2)
	case opCells:
		c := o.cells
		return image.Rect(c.X, c.Y, c.X+c.W, c.Y+c.H)
	}
	return image.Rectangle{}
}

// cellsIndexOnly writes a clean cells operation's indices.
func (r *pngRenderer) cellsIndexOnly(c *Cells) {
	img := c.render(r.p.Pal)
	clip := image.Rect(c.X, c.Y, c.X+c.W, c.Y+c.H).Intersect(r.img.Rect)
	for y := clip.Min.Y; y < clip.Max.Y; y++ {
		src := img.Pix[(y-c.Y)*img.Stride+(clip.Min.X-c.X) : (y-c.Y)*img.Stride+(clip.Max.X-c.X)]
		copy(r.out.Pix[y*r.out.Stride+clip.Min.X:], src)
	}
}

// PNG renders the page and encodes it.
func (p *Page) PNG() ([]byte, error) {
	img := p.Image()
	var buf bytes.Buffer
	buf.Grow(len(img.Pix)/4 + 1024)
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func fillRGBA(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	r = r.Intersect(img.Rect)
	if r.Empty() {
		return
	}
	v := pack(c)
	w := r.Dx()
	first := img.Pix[img.PixOffset(r.Min.X, r.Min.Y):]
	for x := 0; x < w; x++ {
		binary.LittleEndian.PutUint32(first[4*x:], v)
	}
	row := first[:4*w]
	for y := r.Min.Y + 1; y < r.Max.Y; y++ {
		copy(img.Pix[img.PixOffset(r.Min.X, y):], row)
	}
}

func (r *pngRenderer) fill(rect image.Rectangle, c color.RGBA) {
	rect = rect.Intersect(r.img.Rect)
	if rect.Empty() {
		return
	}
	fillRGBA(r.img, rect, c)
	if idx, ok := r.index[pack(c)]; ok {
		for y := rect.Min.Y; y < rect.Max.Y; y++ {
			row := r.out.Pix[y*r.out.Stride+rect.Min.X : y*r.out.Stride+rect.Max.X]
			for i := range row {
				row[i] = idx
			}
		}
	}
}

func irect(x0, y0, x1, y1 float64) image.Rectangle {
	return image.Rect(int(math.Round(x0)), int(math.Round(y0)), int(math.Round(x1)), int(math.Round(y1)))
}

func (r *pngRenderer) gg() *gg.Context {
	if r.ctx == nil {
		r.ctx = gg.NewContextForRGBA(r.img)
		r.ctx.SetLineCapButt()
	}
	return r.ctx
}

func (r *pngRenderer) do(o *op) {
	switch o.kind {
	case opRect:
		if o.fill {
			r.fill(irect(o.x, o.y, o.x1, o.y1), o.col)
			return
		}
		w := math.Max(1, math.Round(o.width))
		x0, y0, x1, y1 := math.Round(o.x), math.Round(o.y), math.Round(o.x1), math.Round(o.y1)
		r.fill(irect(x0, y0, x1, y0+w), o.col)
		r.fill(irect(x0, y1-w, x1, y1), o.col)
		r.fill(irect(x0, y0, x0+w, y1), o.col)
		r.fill(irect(x1-w, y0, x1, y1), o.col)
	case opLine:
		w := math.Max(1, math.Round(o.width))
		if o.y == o.y1 { // horizontal: centred on y
			x0, x1 := math.Min(o.x, o.x1), math.Max(o.x, o.x1)
			y := math.Round(o.y - w/2)
			r.fill(irect(x0, y, x1, y+w), o.col)
			return
		}
		if o.x == o.x1 {
			y0, y1 := math.Min(o.y, o.y1), math.Max(o.y, o.y1)
			x := math.Round(o.x - w/2)
			r.fill(irect(x, y0, x+w, y1), o.col)
			return
		}
		c := r.gg()
		c.SetColor(o.col)
		c.SetLineWidth(o.width)
		c.MoveTo(o.x, o.y)
		c.LineTo(o.x1, o.y1)
		c.Stroke()
	case opPath:
		pa := o.path
		if len(pa.Pts) == 0 {
			return
		}
		c := r.gg()
		c.NewSubPath()
		c.MoveTo(pa.Pts[0][0], pa.Pts[0][1])
		for _, q := range pa.Pts[1:] {
			c.LineTo(q[0], q[1])
		}
		if pa.Close {
			c.ClosePath()
		}
		if pa.Fill {
			c.SetColor(pa.FillC)
			if pa.Stroke {
				c.FillPreserve()
			} else {
				c.Fill()
			}
		}
		if pa.Stroke {
			c.SetColor(pa.Color)
			c.SetLineWidth(pa.Width)
			if len(pa.Dash) > 0 {
				c.SetDash(pa.Dash...)
			}
			c.Stroke()
			c.SetDash()
		}
		c.ClearPath()
	case opText:
		m, _ := r.p.textMask(o.text, o.style)
		if m == nil {
			return
		}
		st := o.style
		tw, th := float64(m.Rect.Dx()-2), float64(m.Rect.Dy())
		if st.Rot90 {
			m = rot90(m)
			tw, th = th, tw
		}
		x0 := int(math.Round(o.x - st.AX*tw))
		y0 := int(math.Round(o.y - st.AY*th))
		rect := m.Bounds().Add(image.Pt(x0, y0))
		draw.DrawMask(r.img, rect, image.NewUniform(st.Color), image.Point{}, m, image.Point{}, draw.Over)
	case opCells:
		r.cells(o.cells)
	}
}

// cells blits a matrix: colours into the RGBA canvas and indices into the
// paletted output, so the conversion keeps them exactly.
func (r *pngRenderer) cells(c *Cells) {
	img := c.render(r.p.Pal)
	rect := image.Rect(c.X, c.Y, c.X+c.W, c.Y+c.H)
	clip := rect.Intersect(r.img.Rect)
	if clip.Empty() {
		return
	}
	for y := clip.Min.Y; y < clip.Max.Y; y++ {
		src := img.Pix[(y-c.Y)*img.Stride+(clip.Min.X-c.X) : (y-c.Y)*img.Stride+(clip.Max.X-c.X)]
		copy(r.out.Pix[y*r.out.Stride+clip.Min.X:], src)
		dst := r.img.Pix[r.img.PixOffset(clip.Min.X, y):]
		for i, idx := range src {
			binary.LittleEndian.PutUint32(dst[4*i:], r.pal[idx])
		}
	}
}

// render draws the cells into a paletted image of W×H pixels.
func (c *Cells) render(pal *Palette) *image.Paletted {
	img := image.NewPaletted(image.Rect(0, 0, c.W, c.H), pal.Colors())
	colOf := make([]int, c.W)
	for x := range colOf {
		colOf[x] = x * c.Cols / c.W
	}
	for y := 0; y < c.H; y++ {
		ry := y * c.Rows / c.H
		src := c.Idx[ry*c.Cols : (ry+1)*c.Cols]
		row := img.Pix[y*img.Stride : y*img.Stride+c.W]
		if c.W == c.Cols {
			copy(row, src)
		} else {
			s := c.W / c.Cols
			if s*c.Cols == c.W {
				for i, v := range src {
					seg := row[i*s : i*s+s]
					for j := range seg {
						seg[j] = v
					}
				}
			} else {
				for x := range row {
					row[x] = src[colOf[x]]
				}
			}
		}
		if c.HatchOn {
			for x := range row {
				if row[x] == c.Hatch && ((x+c.X)+(y+c.Y))%7 < 2 {
					row[x] = c.HatchInk
				}
			}
		}
	}
	return img
}

// rgbaPool recycles canvases: every figure needs one, and allocating (and
// zeroing) megabytes per figure shows in the benchmarks.
var rgbaPool sync.Pool

func getRGBA(w, h int) *image.RGBA {
	n := 4 * w * h
	if b, ok := rgbaPool.Get().(*[]byte); ok && cap(*b) >= n {
		return &image.RGBA{Pix: (*b)[:n], Stride: 4 * w, Rect: image.Rect(0, 0, w, h)}
	}
	return image.NewRGBA(image.Rect(0, 0, w, h))
}

func putRGBA(img *image.RGBA) {
	b := img.Pix[:0]
	if cap(b) <= 64<<20 {
		rgbaPool.Put(&b)
	}
}

// convert maps the RGBA canvas onto the palette. A pixel that still has the
// colour of the index already written for it (background, cells, fills)
// keeps that index; the rest (text, lines, anti-aliasing) take the nearest
// palette colour, cached per distinct colour.
func (r *pngRenderer) convert() {
	h := r.img.Rect.Dy()
	if len(r.out.Pix) < 1<<18 || runtime.GOMAXPROCS(0) < 2 {
		r.convertRows(0, h, r.index)
		return
	}
	half := h / 2
	other := make(map[uint32]uint8, len(r.index))
	for k, v := range r.index {
		other[k] = v
	}
	done := make(chan struct{})
	go func() {
		r.convertRows(half, h, other)
		close(done)
	}()
	r.convertRows(0, half, r.index)
	<-done
}

func (r *pngRenderer) convertRows(y0, y1 int, cache map[uint32]uint8) {
	w := r.img.Rect.Dx()
	var skip [][2]int
	for y := y0; y < y1; y++ {
		skip = skip[:0]
		for _, c := range r.clean {
			if y >= c.Min.Y && y < c.Max.Y {
				skip = append(skip, [2]int{c.Min.X, c.Max.X})
			}
		}
		if len(skip) == 0 {
			r.convertSpan(y*w, (y+1)*w, cache)
			continue
		}
		sort.Slice(skip, func(i, j int) bool { return skip[i][0] < skip[j][0] })
		x := 0
		for _, s := range skip {
			if s[0] > x {
				r.convertSpan(y*w+x, y*w+s[0], cache)
			}
			if s[1] > x {
				x = s[1]
			}
		}
		if x < w {
			r.convertSpan(y*w+x, (y+1)*w, cache)
		}
	}
}

func (r *pngRenderer) convertSpan(lo, hi int, cache map[uint32]uint8) {
	pix := r.img.Pix[4*lo : 4*hi]
	out := r.out.Pix[lo:hi]
	pal := r.pal
	lastC, lastI := uint32(0), uint8(0)
	haveLast := false
	for i := range out {
		c := binary.LittleEndian.Uint32(pix[4*i:])
		if pal[out[i]] == c {
			continue
		}
		if haveLast && c == lastC {
			out[i] = lastI
			continue
		}
		idx, ok := cache[c]
		if !ok {
			idx = r.p.Pal.nearest(color.RGBA{uint8(c), uint8(c >> 8), uint8(c >> 16), 255})
			cache[c] = idx
		}
		out[i] = idx
		lastC, lastI, haveLast = c, idx, true
	}
}
