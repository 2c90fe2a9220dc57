package model

import (
	"math"
	"reflect"
	"testing"

	"github.com/attnviz/attnviz/internal/testutil"
	"github.com/attnviz/attnviz/tensor"
)

type archRef struct {
	Source string `json:"source"`
	Models []struct {
		Name  string `json:"name"`
		SHA   string `json:"sha256"`
		Cases []struct {
			Prompt         string    `json:"prompt"`
			Pair           []string  `json:"pair"`
			IDs            []int     `json:"ids"`
			Types          []int     `json:"types"`
			AttentionShape []int     `json:"attention_shape"`
			Attention      []float32 `json:"attention"`
			LogitsLast     []float32 `json:"logits_last"`
			HiddenLast     []float32 `json:"hidden_last"`
		} `json:"cases"`
	} `json:"models"`
}

func loadArchRef(t *testing.T) *archRef {
	var r archRef
	testutil.ReadJSON(t, "testdata/ref_arch.json", &r, "make model-arch-ref")
	return &r
}

// modelFromGGUF loads the GGUF file data as a model on the CPU.
func modelFromGGUF(t *testing.T, data []byte) *Model {
	t.Helper()
	g, err := ParseGGUF(data)
	if err != nil {
		t.Fatal(err)
	}
	m, err := FromGGUF(g, Device(tensor.CPU))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Every architecture's forward pass agrees with an independent PyTorch
// float64 implementation (scripts/torch_arch_ref.py: its own GGUF reader,
// tokenizers and forward passes) on random-weight models written by
// archModels: token ids exact, attention within 1e-4.
func TestArchAgainstTorch(t *testing.T) {
	ref := loadArchRef(t)
	models := archModels()
	if len(ref.Models) != len(models) {
		t.Fatalf("the reference has %d models, archModels %d: run make model-arch-ref", len(ref.Models), len(models))
	}
	for i, am := range models {
		rm := ref.Models[i]
		t.Run(am.name, func(t *testing.T) {
			if rm.Name != am.name || rm.SHA != sha(am.data) {
				t.Fatalf("the test model %s changed since the reference was made (%s %s vs %s): run make model-arch-ref", am.name, rm.Name, rm.SHA, sha(am.data))
			}
			m := modelFromGGUF(t, am.data)
			for _, c := range rm.Cases {
				var r *Record
				switch {
				case c.Pair != nil:
					r = m.RunTypes(c.IDs, c.Types)
				default:
					r = m.Run(c.Prompt)
					if !reflect.DeepEqual(r.IDs, c.IDs) {
						t.Errorf("Tokenize(%q)\n got %v\nwant %v", c.Prompt, r.IDs, c.IDs)
						r = m.RunIDs(c.IDs)
					}
				}
				if err := r.Err(); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(r.Attention.Shape(), c.AttentionShape) {
					t.Fatalf("attention shape %v, reference %v", r.Attention.Shape(), c.AttentionShape)
				}
				if e := testutil.MaxAbsDiff(r.Attention.Data(), c.Attention); e > 1e-4 {
					t.Errorf("%q: attention differs from the reference by %g (> 1e-4)", c.Prompt, e)
				} else {
					t.Logf("%q %v: attention max |diff| %.2g", c.Prompt, c.Pair, e)
				}
				T := len(c.IDs)
				if c.LogitsLast != nil {
					if e := testutil.MaxAbsDiff(r.Logits.Index(T-1).Data(), c.LogitsLast); e > 1e-4 {
						t.Errorf("%q: last logits differ by %g", c.Prompt, e)
					}
				} else if r.Logits != nil {
					t.Errorf("%s has logits; the reference has none", am.name)
				}
				if e := testutil.MaxAbsDiff(r.Hidden.Index(T-1).Data(), c.HiddenLast); e > 1e-4 {
					t.Errorf("%q: last hidden state differs by %g", c.Prompt, e)
				}
			}
		})
	}
}

// In bert every query sees the keys after it; in the decoders none does.
func TestCausality(t *testing.T) {
	for _, am := range archModels() {
		m := modelFromGGUF(t, am.data)
		ids := []int{5, 9, 7, 12, 3, 8, 20}
		r := m.RunIDs(ids)
		if err := r.Err(); err != nil {
			t.Fatal(err)
		}
		c := m.Config()
		T := len(ids)
		d := r.Attention.Data()
		future := 0.0
		for lh := 0; lh < c.Layers*c.Heads; lh++ {
			for i := 0; i < T; i++ {
				s := 0.0
				for j := 0; j < T; j++ {
					w := float64(d[(lh*T+i)*T+j])
					s += w
					if j > i {
						future += w
					}
				}
				if math.Abs(s-1) > 1e-5 {
					t.Fatalf("%s: row sums to %g", am.name, s)
				}
			}
		}
		if c.Causal != (am.name != "bert") {
			t.Errorf("%s: Causal = %v", am.name, c.Causal)
		}
		if c.Causal && future != 0 {
			t.Errorf("%s: causal model puts %g on future keys", am.name, future)
		}
		if !c.Causal && future < 1 {
			t.Errorf("%s: bidirectional model puts only %g on future keys", am.name, future)
		}
	}
}

// The reference check is sensitive to each convention: changing one (RoPE
// pairing, Llama 3's frequency factors, the GELU variant, causality) moves
// the attention or the hidden state beyond the tolerances of
// TestArchAgainstTorch (the GELU variants by 2–6×, the others by far).
func TestArchConventionsMatter(t *testing.T) {
	ref := loadArchRef(t)
	byName := map[string]archModel{}
	for _, am := range archModels() {
		byName[am.name] = am
	}
	for _, c := range []struct {
		model, what string
		change      func(m *Model)
	}{
		{"llama-bpe", "NEOX pairing instead of NORM", func(m *Model) { m.cfg.RopeHalf = true }},
		{"llama-bpe", "no rope_freqs factors", func(m *Model) { m.net.ropeFreqs = nil }},
		{"qwen2", "NORM pairing instead of NEOX", func(m *Model) { m.cfg.RopeHalf = false }},
		{"gpt2-tied", "exact GELU instead of tanh", func(m *Model) { m.net.ffnAct = tensor.ActGELU }},
		{"bert", "tanh GELU instead of exact", func(m *Model) { m.net.ffnAct = tensor.ActGELUTanh }},
		{"bert", "causal mask", func(m *Model) { m.cfg.Causal = true }},
	} {
		m := modelFromGGUF(t, byName[c.model].data)
		c.change(m)
		for _, rm := range ref.Models {
			if rm.Name != c.model {
				continue
			}
			rc := rm.Cases[0]
			r := m.RunIDs(rc.IDs)
			ea := testutil.MaxAbsDiff(r.Attention.Data(), rc.Attention)
			eh := testutil.MaxAbsDiff(r.Hidden.Index(len(rc.IDs)-1).Data(), rc.HiddenLast)
			t.Logf("%s, %s: attention off by %.3g, hidden by %.3g", c.model, c.what, ea, eh)
			if ea <= 1e-4 && eh <= 1e-4 { // the tolerances of TestArchAgainstTorch
				t.Errorf("%s with %s still matches the reference (attention %g, hidden %g): the check cannot tell", c.model, c.what, ea, eh)
			}
		}
	}
}
