package tensor

import (
	"fmt"
	"math"
	"sync"
)

// Sinusoidal returns the [n, d] positional encodings of "Attention Is All
// You Need" (Vaswani et al. 2017): for position p and i = 0, 1, …
//
//	PE[p, 2i]   = sin(p / 10000^(2i/d))
//	PE[p, 2i+1] = cos(p / 10000^(2i/d))
//
// Even features are sines, odd features cosines; low features turn fast,
// high features slowly. An odd d ends with a sine.
func Sinusoidal(n, d int) *Tensor {
	if n < 0 || d < 0 {
		return Failed(Errorf(ErrValue, "Sinusoidal: want n ≥ 0 positions and d ≥ 0 features, got n=%d d=%d", n, d))
	}
	if err := checkShape("Sinusoidal", []int{n, d}); err != nil {
		return Failed(err)
	}
	out := make([]float32, n*d)
	for p := 0; p < n; p++ {
		for j := 0; j < d; j++ {
			i2 := j &^ 1
			a := float64(p) / math.Pow(10000, float64(i2)/float64(d))
			if j%2 == 0 {
				out[p*d+j] = float32(math.Sin(a))
			} else {
				out[p*d+j] = float32(math.Cos(a))
			}
		}
	}
	return onDefault(newHost(out, []int{n, d}))
}

// RoPEInterleaved applies rotary position embeddings (Su et al. 2021) to
// x [..., T, d] with the INTERLEAVED pairing of the original paper,
// llama2.c, Meta's Llama reference code and GGUF/llama.cpp ("normal" rope):
// features (2i, 2i+1) form a pair, seen as the complex number
// x₂ᵢ + i·x₂ᵢ₊₁ and multiplied by e^{i·p·θᵢ}:
//
//	θᵢ = base^(−2i/d),   p = offset + t   (t = token index along T)
//	y₂ᵢ   = x₂ᵢ·cos(pθᵢ) − x₂ᵢ₊₁·sin(pθᵢ)
//	y₂ᵢ₊₁ = x₂ᵢ·sin(pθᵢ) + x₂ᵢ₊₁·cos(pθᵢ)
//
// base is 10000 in Llama 2 (500000 in Llama 3); offset is the position of
// the first token (the cache length when decoding). d must be even.
// Hugging Face checkpoints permute the q/k weights and use RoPEHalf
// instead; applying the wrong convention silently scrambles attention.
func RoPEInterleaved(x *Tensor, base float32, offset int) *Tensor {
	return rope(opRoPEInterleaved, x, base, offset)
}

// RoPEHalf applies rotary position embeddings with the HALF-SPLIT pairing
// of Hugging Face transformers (rotate_half; GPT-NeoX, "neox" rope in
// llama.cpp): feature i pairs with feature i + d/2:
//
//	θᵢ = base^(−2i/d),   p = offset + t,   i < d/2
//	yᵢ       = xᵢ·cos(pθᵢ) − x_{i+d/2}·sin(pθᵢ)
//	y_{i+d/2} = x_{i+d/2}·cos(pθᵢ) + xᵢ·sin(pθᵢ)
//
// which is HF's q·cos + rotate_half(q)·sin with cos/sin repeated over both
// halves. d must be even.
func RoPEHalf(x *Tensor, base float32, offset int) *Tensor {
	return rope(opRoPEHalf, x, base, offset)
}

func rope(op opKind, x *Tensor, base float32, offset int) *Tensor {
	if x.Err() != nil {
		return Failed(x.Err())
	}
	r := x.Rank()
	if r < 2 {
		return Failed(shapeErr(op.String(), "want [..., tokens, d] (at least 2 dimensions)", "use Unsqueeze(0) for a single token", x.shape))
	}
	d := x.shape[r-1]
	if d%2 != 0 {
		return Failed(shapeErr(op.String(), fmt.Sprintf("the feature size d=%d must be even (features rotate in pairs)", d), "", x.shape))
	}
	if !(base > 1) || math.IsInf(float64(base), 0) {
		return Failed(Errorf(ErrValue, "%s: base must be a finite number > 1 (10000 in Llama 2), got %v", op, base))
	}
	if offset < 0 {
		return Failed(Errorf(ErrValue, "%s: offset is the position of the first token and must be ≥ 0, got %d", op, offset))
	}
	return apply1(op, []*Tensor{x}, opParams{Base: base, Pos: offset}, func(in []*Tensor) *Tensor {
		src := hostSlice(in[0])
		ws := outWS(in[0])
		dst := allocIn(ws, len(src))
		T := in[0].shape[r-2]
		half := d / 2
		tab := ropeTable(base, offset, T, d)
		interleaved := op == opRoPEInterleaved
		for o := 0; o < len(src) && d > 0; o += d {
			t := (o / d) % T
			cs, sn := tab.cos[t*half:(t+1)*half], tab.sin[t*half:(t+1)*half]
			xs, ys := src[o:o+d], dst[o:o+d]
			if interleaved {
				for i := 0; i < half; i++ {
					x0, x1 := float64(xs[2*i]), float64(xs[2*i+1])
					ys[2*i] = float32(x0*cs[i] - x1*sn[i])
					ys[2*i+1] = float32(x0*sn[i] + x1*cs[i])
				}
				continue
			}
			for i := 0; i < half; i++ {
				x0, x1 := float64(xs[i]), float64(xs[i+half])
				ys[i] = float32(x0*cs[i] - x1*sn[i])
				ys[i+half] = float32(x0*sn[i] + x1*cs[i])
			}
		}
		return newHostIn(ws, dst, in[0].shape)
	})
}

// ropeTab holds cos(pθᵢ) and sin(pθᵢ), [T, d/2], for one (base, offset,
// T, d).
type ropeTab struct {
	base      float32
	offset, T int
	d         int
	cos, sin  []float64
}

// ropeTables keeps the last few tables: a forward pass rotates q and k of
// every layer with the same one.
var ropeTables struct {
	sync.Mutex
	recent []*ropeTab
}

func ropeTable(base float32, offset, T, d int) *ropeTab {
	ropeTables.Lock()
	for _, t := range ropeTables.recent {
		if t.base == base && t.offset == offset && t.T == T && t.d == d {
			ropeTables.Unlock()
			return t
		}
	}
	ropeTables.Unlock()
	half := d / 2
	t := &ropeTab{base: base, offset: offset, T: T, d: d, cos: make([]float64, T*half), sin: make([]float64, T*half)}
	for i := 0; i < half; i++ {
		theta := math.Pow(float64(base), -2*float64(i)/float64(d))
		for p := 0; p < T; p++ {
			s, c := math.Sincos(float64(offset+p) * theta)
			t.cos[p*half+i], t.sin[p*half+i] = c, s
		}
	}
	ropeTables.Lock()
	if len(ropeTables.recent) >= 8 {
		ropeTables.recent = ropeTables.recent[1:]
	}
	ropeTables.recent = append(ropeTables.recent, t)
	ropeTables.Unlock()
	return t
}
