package viz

import (
	"math"
	"strings"

	"github.com/attnviz/attnviz/tensor"
)

// demoText is the sentence the built-in examples use for tokens.
const demoText = "The cat sat on the mat because it was tired . Then the dog came in , saw the cat and sat down next to it"

// DemoTokens returns n example tokens (a sentence, repeated as needed).
func DemoTokens(n int) []string {
	words := strings.Fields(demoText)
	if n < 0 {
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = words[i%len(words)]
	}
	return out
}

// rng is a small deterministic generator (splitmix64).
type rng uint64

func (r *rng) float() float64 {
	*r += 0x9e3779b97f4a7c15
	z := uint64(*r)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return float64(z>>11) / float64(1<<53)
}

// demoHead returns a causal [T, T] attention matrix with a pattern chosen by
// kind: 0 previous token, 1 attention sink, 2 diagonal, 3 local window,
// 4 broad, 5 noisy; seed varies the noise.
func demoHead(T, kind int, seed uint64) []float32 {
	r := rng(seed*7919 + uint64(kind)*104729 + uint64(T))
	out := make([]float32, T*T)
	row := make([]float64, T)
	for i := 0; i < T; i++ {
		mx := math.Inf(-1)
		for j := 0; j <= i; j++ {
			s := 0.8 * r.float()
			switch kind % 6 {
			case 0:
				if j == i-1 {
					s += 4
				}
			case 1:
				if j == 0 {
					s += 3.5
				}
			case 2:
				if j == i {
					s += 3
				}
			case 3:
				s -= 0.7 * math.Abs(float64(i-j))
			case 4:
				s *= 0.5
			case 5:
				s = 3 * r.float()
			}
			row[j] = s
			mx = math.Max(mx, s)
		}
		sum := 0.0
		for j := 0; j <= i; j++ {
			row[j] = math.Exp(row[j] - mx)
			sum += row[j]
		}
		for j := 0; j <= i; j++ {
			out[i*T+j] = float32(row[j] / sum)
		}
	}
	return out
}

// DemoAttention returns an example causal attention matrix [T, T] (rows
// sum to 1): mostly previous-token with some attention to the first token.
func DemoAttention(T int) *tensor.Tensor {
	if err := demoSize("DemoAttention", 1, 1, T); err != nil {
		return tensor.Failed(err)
	}
	a := demoHead(T, 0, 1)
	b := demoHead(T, 1, 2)
	for i := range a {
		a[i] = 0.7*a[i] + 0.3*b[i]
	}
	return tensor.New(a, T, T)
}

// DemoStack returns example attention for L layers × H heads × T tokens:
// [L, H, T, T], heads with previous-token, sink, diagonal, local, broad and
// noisy patterns.
func DemoStack(L, H, T int) *tensor.Tensor {
	if err := demoSize("DemoStack", L, H, T); err != nil {
		return tensor.Failed(err)
	}
	out := make([]float32, 0, L*H*T*T)
	for l := 0; l < L; l++ {
		for h := 0; h < H; h++ {
			out = append(out, demoHead(T, (l*5+h*7+l*h)%6, uint64(l*H+h+1))...)
		}
	}
	return tensor.New(out, L, H, T, T)
}

// demoSize refuses negative or huge demo sizes (T ≤ 4096, L·H·T² ≤ 2²⁸).
func demoSize(fn string, L, H, T int) error {
	if L < 0 || H < 0 || T < 0 || T > 4096 || L > 1<<12 || H > 1<<12 || L*H*T*T > 1<<28 {
		return tensor.Errorf(tensor.ErrValue, "viz.%s: want 0 ≤ T ≤ 4096 tokens and at most 2²⁸ weights in all, got L=%d H=%d T=%d", fn, L, H, T)
	}
	return nil
}

// DemoQKV returns small example queries, keys and values [T, d] (seeded).
func DemoQKV(T, d int) (q, k, v *tensor.Tensor) {
	return tensor.RandN(11, T, d), tensor.RandN(12, T, d), tensor.RandN(13, T, d)
}

// Example is a named figure of the gallery.
type Example struct {
	Name   string
	Figure *Figure
}

// Gallery draws every view from the built-in examples (the figures of
// `attnviz demo`).
func Gallery(opts ...Option) []Example {
	toks := DemoTokens(8)
	q, k, v := DemoQKV(5, 4)
	o := func(more ...Option) []Option { return append(append([]Option{}, opts...), more...) }
	stack := DemoStack(4, 6, 12)
	t12 := DemoTokens(12)
	scores := tensor.RandN(5, 8, 8)
	return []Example{
		{"heatmap", Heatmap(DemoAttention(8), o(Tokens(toks, toks), Highlight(5))...)},
		{"heatmap-64", Heatmap(DemoAttention(64), o(Tokens(DemoTokens(64), DemoTokens(64)))...)},
		{"heatmap-scores-masked", Heatmap(scores, o(Tokens(toks, toks), Mask(tensor.CausalMask(8)), Title("Raw scores with a causal mask"))...)},
		{"grid", Grid(stack, o(Tokens(t12, t12))...)},
		{"steps", Steps(q, k, v, o(Mask(tensor.CausalMask(5)), Tokens(DemoTokens(5), DemoTokens(5)))...)},
		{"masks", Masks(6, 4, o(Tokens(DemoTokens(6), DemoTokens(6)))...)},
		{"mask-effect", MaskEffect(scores, tensor.CausalMask(8), o(Tokens(toks, toks), Query(4))...)},
		{"positional", Positional(tensor.Sinusoidal(64, 32), o()...)},
		{"rope", RoPE(64, 16, o()...)},
		{"stats", HeadStats(stack, o()...)},
		{"rollout", Rollout(stack, o(Tokens(t12, t12))...)},
		{"strip", TokenStrip(DemoAttention(12), o(Tokens(t12, t12), Query(9))...)},
	}
}
