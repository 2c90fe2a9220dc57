package model

import (
	"errors"
	"math"
	"math/rand"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/attnviz/attnviz/internal/testutil"
	"github.com/attnviz/attnviz/tensor"
)

func TestInductionTargets(t *testing.T) {
	got := InductionTargets([]int{7, 1, 2, 3, 1, 2, 3, 3})
	want := []int{-1, -1, -1, -1, 2, 3, 4, 7}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("InductionTargets = %v, want %v", got, want)
	}
}

// InductionScore averages the weight on each query's induction target;
// checked on a record whose attention is written by hand.
func TestInductionScore(t *testing.T) {
	ids := []int{9, 1, 2, 1, 2}
	T := len(ids)
	att := make([]float32, 2*T*T) // 1 layer, 2 heads
	for i := 0; i < T; i++ {
		att[i*T+0] = 1 // head 0: all on the first token
	}
	// head 1: query 3 (token 1, seen at 1) puts 0.5 on its target 2;
	// query 4 (token 2, seen at 2) puts 1 on its target 3.
	h1 := att[T*T:]
	h1[0] = 1
	h1[1*T+1], h1[2*T+2] = 1, 1
	h1[3*T+2], h1[3*T+0] = 0.5, 0.5
	h1[4*T+3] = 1
	r := &Record{IDs: ids, Attention: tensor.New(att, 1, 2, T, T), Config: Config{Layers: 1, Heads: 2}}
	s := r.InductionScore()
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if got := s.Data(); math.Abs(float64(got[0])) > 1e-7 || math.Abs(float64(got[1])-0.75) > 1e-7 {
		t.Errorf("InductionScore = %v, want [0 0.75]", got)
	}
	r.IDs = []int{1, 2, 3, 4, 5}
	if err := r.InductionScore().Err(); !errors.Is(err, tensor.ErrValue) || !strings.Contains(err.Error(), "repeated part") {
		t.Errorf("no repeats: %v", err)
	}
}

// Ablate zeroes one head's contribution: the output changes, that head's
// own weights do not, and a bad head is an error reported by Run.
func TestAblate(t *testing.T) {
	m := modelFromGGUF(t, archGPT2(true).data)
	ids := []int{5, 9, 7, 12, 3, 8}
	a, b := m.RunIDs(ids), m.Ablate(0, 2).RunIDs(ids)
	if testutil.MaxAbsDiff(a.Attention.Index(0).Data(), b.Attention.Index(0).Data()) != 0 {
		t.Errorf("ablating changed layer 0's own attention")
	}
	if testutil.MaxAbsDiff(a.Attention.Index(1).Data(), b.Attention.Index(1).Data()) == 0 || testutil.MaxAbsDiff(a.Logits.Data(), b.Logits.Data()) == 0 {
		t.Errorf("ablating layer 0 head 2 changed nothing downstream")
	}
	if got := m.Ablate(0, 2).Ablate(1, 0).Ablated(); !reflect.DeepEqual(got, [][2]int{{0, 2}, {1, 0}}) {
		t.Errorf("Ablated = %v", got)
	}
	if len(m.Ablated()) != 0 {
		t.Errorf("Ablate changed the original model")
	}
	if err := m.Ablate(2, 0).RunIDs(ids).Err(); !errors.Is(err, tensor.ErrValue) || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("Ablate(2, 0): %v", err)
	}
}

const inductionModel = "../notebooks/data/induction.gguf"

// inductionSequences are held-out strings: 20 distinct random characters
// of the training alphabet, written twice (41 tokens with BOS; the model
// knows 48 positions).
func inductionSequences(n int) []string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	r := rand.New(rand.NewSource(77))
	out := make([]string, n)
	for i := range out {
		p := r.Perm(len(alphabet))[:20]
		var b strings.Builder
		for _, j := range p {
			b.WriteByte(alphabet[j])
		}
		out[i] = b.String() + b.String()
	}
	return out
}

// meanScores runs every sequence and averages the induction and
// previous-token scores, [L·H] each, and the accuracy of the next-token
// prediction over the second copy.
func meanScores(t *testing.T, m *Model, seqs []string) (ind, prev []float64, acc float64) {
	c := m.Config()
	ind, prev = make([]float64, c.Layers*c.Heads), make([]float64, c.Layers*c.Heads)
	hits, total := 0, 0
	for _, s := range seqs {
		r := m.Run(s)
		if err := r.Err(); err != nil {
			t.Fatal(err)
		}
		for i, v := range r.InductionScore().Data() {
			ind[i] += float64(v) / float64(len(seqs))
		}
		for i, v := range r.PrevTokenScore().Data() {
			prev[i] += float64(v) / float64(len(seqs))
		}
		T := len(r.IDs)
		n := (T - 1) / 2
		for i := 1 + n; i < T-1; i++ { // predictions of the second copy's tokens
			if int(r.Logits.Index(i).Argmax(-1).Item()) == r.IDs[i+1] {
				hits++
			}
			total++
		}
	}
	return ind, prev, float64(hits) / float64(total)
}

func argmaxRange(v []float64, from, to int) int {
	best := from
	for i := from; i < to; i++ {
		if v[i] > v[best] {
			best = i
		}
	}
	return best
}

// The project's induction model (scripts/train_induction.py) has an
// induction head in layer 1 (score ≥ 0.5 on held-out repeated sequences)
// fed by a previous-token head in layer 0: zeroing that head's output takes
// the induction head's pattern and the copying away; zeroing any other
// layer-0 head does not.
func TestInductionModel(t *testing.T) {
	if _, err := os.Stat(inductionModel); err != nil {
		t.Fatalf("%s is missing: it ships with the repository (make induction-model rebuilds it)", inductionModel)
	}
	m, err := Load(inductionModel, Device(tensor.CPU))
	if err != nil {
		t.Fatal(err)
	}
	c := m.Config()
	if c.Arch != "gpt2" || c.Layers != 2 {
		t.Fatalf("config %v", c)
	}
	seqs := inductionSequences(20)
	ind, prev, acc := meanScores(t, m, seqs)
	H := c.Heads
	ih := argmaxRange(ind, H, 2*H) - H
	ph := argmaxRange(prev, 0, H)
	t.Logf("induction scores %.3f", ind)
	t.Logf("previous-token scores %.3f", prev)
	t.Logf("induction head L1H%d %.3f, previous-token head L0H%d %.3f, second-copy accuracy %.3f", ih, ind[H+ih], ph, prev[ph], acc)
	if ind[H+ih] < 0.5 {
		t.Errorf("best layer-1 induction score %.3f < 0.5", ind[H+ih])
	}
	if prev[ph] < 0.5 {
		t.Errorf("best layer-0 previous-token score %.3f < 0.5", prev[ph])
	}
	if acc < 0.9 {
		t.Errorf("the model copies the second copy with accuracy %.3f < 0.9", acc)
	}
	for h := 0; h < H; h++ {
		abl, _, aacc := meanScores(t, m.Ablate(0, h), seqs)
		t.Logf("layer-0 head %d zeroed: induction L1H%d %.3f → %.3f, accuracy %.3f → %.3f", h, ih, ind[H+ih], abl[H+ih], acc, aacc)
		if h == ph && !(abl[H+ih] < ind[H+ih]/2 && aacc < acc/2) {
			t.Errorf("zeroing the previous-token head L0H%d leaves the induction head at %.3f (from %.3f) and accuracy %.3f (from %.3f)", h, abl[H+ih], ind[H+ih], aacc, acc)
		}
		if h != ph && abl[H+ih] < ind[H+ih]/2 {
			t.Errorf("zeroing L0H%d, not the previous-token head, also breaks the induction head (%.3f → %.3f)", h, ind[H+ih], abl[H+ih])
		}
	}
}

// A character the induction model's vocabulary lacks (it reads a-z 0-9) is
// refused by name, not dropped; stories260K's byte fallback takes anything.
func TestPromptOutsideVocabulary(t *testing.T) {
	m, err := Load(inductionModel, Device(tensor.CPU))
	if err != nil {
		t.Fatal(err)
	}
	want := `model: the vocabulary has no token for 'H', ' ' (space) in the prompt; this model reads only the characters abcdefghijklmnopqrstuvwxyz0123456789`
	if err := m.Run("Hello world").Err(); err == nil || err.Error() != want {
		t.Errorf("Run: %v\nwant %s", err, want)
	}
	if _, err := m.Generate("Hi", 3); err == nil || !strings.Contains(err.Error(), "no token for 'H'") {
		t.Errorf("Generate: %v", err)
	}
	if _, err := m.Encode("Hello world"); err == nil || err.Error() != want {
		t.Errorf("Encode: %v", err)
	}
	if d := m.Describe("Hi"); !strings.Contains(d, "no token for 'H'") {
		t.Errorf("Describe: %s", d)
	}
	if err := m.Run("hello2world").Err(); err != nil {
		t.Errorf("a prompt in the alphabet: %v", err)
	}
}
