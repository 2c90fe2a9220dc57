package viz

import (
	"image/color"
	"math"
)

// Colormap maps a value in [0, 1] to a colour. The predefined maps are
// colour-blind safe: Viridis, Cividis and Magma are sequential (for
// attention weights, which run from 0 to 1); Diverging is centred on its
// middle (for raw scores before softmax, centred on 0).
type Colormap struct {
	name      string
	stops     []uint32
	diverging bool
}

// Name returns the colour map's name.
func (c *Colormap) Name() string {
	if c == nil {
		return "viridis"
	}
	return c.name
}

// Diverging reports whether the map is centred on its middle.
func (c *Colormap) Diverging() bool { return c != nil && c.diverging }

// At returns the colour for t in [0, 1] (clamped), interpolating linearly
// between the map's stops.
func (c *Colormap) At(t float64) color.RGBA {
	if c == nil || len(c.stops) == 0 {
		c = Viridis
	}
	if !(t > 0) {
		t = 0
	}
	if t > 1 {
		t = 1
	}
	x := t * float64(len(c.stops)-1)
	i := int(math.Floor(x))
	if i >= len(c.stops)-1 {
		return rgb(c.stops[len(c.stops)-1])
	}
	f := x - float64(i)
	a, b := rgb(c.stops[i]), rgb(c.stops[i+1])
	m := func(p, q uint8) uint8 { return uint8(float64(p)*(1-f) + float64(q)*f + 0.5) }
	return color.RGBA{m(a.R, b.R), m(a.G, b.G), m(a.B, b.B), 255}
}

func rgb(v uint32) color.RGBA {
	return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255}
}

// The colour maps. Viridis, Cividis and Magma are sampled from matplotlib's
// tables (33 stops); Diverging is Paul Tol's colour-blind-safe BuRd.
var (
	Viridis = &Colormap{name: "viridis", stops: []uint32{0x440154, 0x470d60, 0x48186a, 0x482374, 0x472d7b, 0x453781, 0x424086, 0x3e4989, 0x3b528b, 0x375b8d, 0x33638d, 0x2f6b8e, 0x2c728e, 0x297a8e, 0x26828e, 0x23898e, 0x21918c, 0x1f988b, 0x1fa088, 0x22a785, 0x28ae80, 0x32b67a, 0x3fbc73, 0x4ec36b, 0x5ec962, 0x70cf57, 0x84d44b, 0x98d83e, 0xaddc30, 0xc2df23, 0xd8e219, 0xece51b, 0xfde725}}
	Cividis = &Colormap{name: "cividis", stops: []uint32{0x00224e, 0x00285b, 0x002e6a, 0x053371, 0x1a386f, 0x273e6e, 0x32436d, 0x3b496c, 0x434e6c, 0x4b546c, 0x535a6d, 0x5a5f6e, 0x61656f, 0x686a71, 0x6f7073, 0x767676, 0x7d7c78, 0x848279, 0x8c8878, 0x938e78, 0x9b9476, 0xa39a74, 0xaba072, 0xb4a76f, 0xbcae6c, 0xc4b468, 0xcdbb63, 0xd5c25e, 0xdec958, 0xe7d150, 0xf0d846, 0xf9e03a, 0xfee838}}
	Magma   = &Colormap{name: "magma", stops: []uint32{0x000004, 0x030312, 0x0a0822, 0x130d34, 0x1d1147, 0x29115a, 0x36106b, 0x440f76, 0x51127c, 0x5d177f, 0x6a1c81, 0x762181, 0x832681, 0x902a81, 0x9c2e7f, 0xaa337d, 0xb73779, 0xc43c75, 0xd0416f, 0xdc4869, 0xe75263, 0xef5d5e, 0xf56b5c, 0xf9795d, 0xfc8961, 0xfd9869, 0xfea772, 0xfeb67c, 0xfec488, 0xfed395, 0xfde2a3, 0xfcf0b2, 0xfcfdbf}}
	// Diverging runs blue (negative) – near white (0) – red (positive).
	Diverging = &Colormap{name: "diverging", diverging: true, stops: []uint32{0x2166ac, 0x4393c3, 0x92c5de, 0xd1e5f0, 0xf7f7f7, 0xfddbc7, 0xf4a582, 0xd6604d, 0xb2182b}}
)

// HeadColors are 16 colours that stay distinguishable (Okabe–Ito without
// black, then Paul Tol's muted scheme); HeadColor cycles through them.
var HeadColors = []color.RGBA{
	rgb(0x0072b2), rgb(0xe69f00), rgb(0x009e73), rgb(0xd55e00), rgb(0xcc79a7), rgb(0x56b4e9), rgb(0xf0e442),
	rgb(0x332288), rgb(0x117733), rgb(0x882255), rgb(0xddcc77), rgb(0x44aa99), rgb(0xcc6677), rgb(0x999933), rgb(0xaa4499), rgb(0x88ccee),
}

// HeadColor returns the colour of head h.
func HeadColor(h int) color.RGBA {
	if h < 0 {
		h = -h
	}
	return HeadColors[h%len(HeadColors)]
}

// ThemeMode is light or dark: the colours of a figure's background and
// text (pick one with the Theme option).
type ThemeMode int

const (
	Light ThemeMode = iota // dark text on white
	Dark                   // light text on a near-black background
)

type themeColors struct {
	bg, fg, muted, grid, mask, hatch, accent color.RGBA
}

func (t ThemeMode) colors() themeColors {
	if t == Dark {
		return themeColors{
			bg: rgb(0x16181d), fg: rgb(0xe8e8e8), muted: rgb(0xa0a4ab), grid: rgb(0x3a3e46),
			mask: rgb(0x3c3f45), hatch: rgb(0x7d828b), accent: rgb(0xff8c42),
		}
	}
	return themeColors{
		bg: rgb(0xffffff), fg: rgb(0x1f1f1f), muted: rgb(0x666666), grid: rgb(0xd0d0d0),
		mask: rgb(0xd9d9d9), hatch: rgb(0x9a9a9a), accent: rgb(0xd55e00),
	}
}
