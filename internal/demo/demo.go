// Package demo makes the example data of attnviz's own figures, tests and
// `attnviz demo`: a sentence of tokens, attention matrices with the
// patterns real heads show (previous token, first-token sink, diagonal,
// local window, broad, noisy) and small Q, K, V. Everything is seeded, so
// the same call gives the same numbers on every machine.
//
// It is internal: lessons build their tensors with the tensor package or
// load a model, and read what they draw.
package demo

import (
	"math"
	"strings"

	"github.com/attnviz/attnviz/tensor"
)

// text is the sentence the examples use for tokens.
const text = "The cat sat on the mat because it was tired . Then the dog came in , saw the cat and sat down next to it"

// Tokens returns n example tokens (a sentence, repeated as needed).
func Tokens(n int) []string {
	words := strings.Fields(text)
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

// head returns a causal [T, T] attention matrix with a pattern chosen by
// kind: 0 previous token, 1 attention sink, 2 diagonal, 3 local window,
// 4 broad, 5 noisy; seed varies the noise.
func head(T, kind int, seed uint64) []float32 {
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

// Attention returns an example causal attention matrix [T, T] (rows sum
// to 1): mostly previous-token with some attention to the first token.
func Attention(T int) *tensor.Tensor {
	if err := checkSize("Attention", 1, 1, T); err != nil {
		return tensor.Failed(err)
	}
	a := head(T, 0, 1)
	b := head(T, 1, 2)
	for i := range a {
		a[i] = 0.7*a[i] + 0.3*b[i]
	}
	return tensor.New(a, T, T)
}

// Stack returns example attention for L layers × H heads × T tokens:
// [L, H, T, T], heads with previous-token, sink, diagonal, local, broad and
// noisy patterns.
func Stack(L, H, T int) *tensor.Tensor {
	if err := checkSize("Stack", L, H, T); err != nil {
		return tensor.Failed(err)
	}
	out := make([]float32, 0, L*H*T*T)
	for l := 0; l < L; l++ {
		for h := 0; h < H; h++ {
			out = append(out, head(T, (l*5+h*7+l*h)%6, uint64(l*H+h+1))...)
		}
	}
	return tensor.New(out, L, H, T, T)
}

// checkSize refuses negative or huge sizes (T ≤ 4096, L·H·T² ≤ 2²⁸).
func checkSize(fn string, L, H, T int) error {
	if L < 0 || H < 0 || T < 0 || T > 4096 || L > 1<<12 || H > 1<<12 || L*H*T*T > 1<<28 {
		return tensor.Errorf(tensor.ErrValue, "demo.%s: want 0 ≤ T ≤ 4096 tokens and at most 2²⁸ weights in all, got L=%d H=%d T=%d", fn, L, H, T)
	}
	return nil
}

// QKV returns small example queries, keys and values [T, d] (seeded).
func QKV(T, d int) (q, k, v *tensor.Tensor) {
	return tensor.RandN(11, T, d), tensor.RandN(12, T, d), tensor.RandN(13, T, d)
}
