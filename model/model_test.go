package model

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/attnviz/attnviz/internal/cputime"
	"github.com/attnviz/attnviz/internal/testutil"
	"github.com/attnviz/attnviz/tensor"
)

// modelPath is the lesson model, relative to this package: $ATTNVIZ_MODEL
// if set, else ../shared/models from the repo root (CI has it), else models/
// where `make model` puts it.
var modelPath = func() string {
	if p := os.Getenv("ATTNVIZ_MODEL"); p != "" {
		return p
	}
	for _, p := range []string{"../../shared/models/" + LessonModelFile, "../models/" + LessonModelFile} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "../../shared/models/" + LessonModelFile
}()

var (
	loadOnce sync.Once
	shared   *Model
	loadErr  error
)

func testModel(t testing.TB) *Model {
	t.Helper()
	if _, err := os.Stat(modelPath); err != nil {
		t.Skipf("model file %s not found (%v): run `make model` or put stories260Ktok512.gguf in ../shared/models/ to run this test", modelPath, err)
	}
	loadOnce.Do(func() { shared, loadErr = Load(modelPath, Device(tensor.CPU)) })
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	return shared
}

type reference struct {
	Prompt         string    `json:"prompt"`
	IDs            []int     `json:"ids"`
	LogitsShape    []int     `json:"logits_shape"`
	Logits         []float32 `json:"logits"`
	AttentionShape []int     `json:"attention_shape"`
	Attention      []float32 `json:"attention"`
	GenerateIDs    []int     `json:"generate_ids"`
	GenerateText   string    `json:"generate_text"`
	Tokenize       []struct {
		Text string `json:"text"`
		IDs  []int  `json:"ids"`
	} `json:"tokenize"`
}

func loadRef(t *testing.T) *reference {
	var r reference
	testutil.ReadJSON(t, "testdata/ref_stories260K.json", &r, "/usr/bin/python3 scripts/torch_model_ref.py")
	return &r
}

func maxDiff(t *testing.T, what string, got *tensor.Tensor, shape []int, want []float32) float64 {
	t.Helper()
	if !reflect.DeepEqual(got.Shape(), shape) {
		t.Fatalf("%s: shape %v, reference %v", what, got.Shape(), shape)
	}
	return testutil.MaxAbsDiff(got.Data(), want)
}

// The forward pass agrees with an independent PyTorch implementation
// (scripts/torch_model_ref.py, its own GGUF reader and tokenizer, float64).
func TestAgainstTorchReference(t *testing.T) {
	m := testModel(t)
	ref := loadRef(t)
	r := m.Run(ref.Prompt)
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(r.IDs, ref.IDs) {
		t.Fatalf("token ids\n got %v\nwant %v", r.IDs, ref.IDs)
	}
	for _, c := range ref.Tokenize {
		if got := m.Tokenize(c.Text); !reflect.DeepEqual(got, c.IDs) {
			t.Errorf("Tokenize(%q)\n got %v\nwant %v", c.Text, got, c.IDs)
		}
	}
	if len(ref.Tokenize) == 0 {
		t.Errorf("reference has no tokenize cases")
	}
	if e := maxDiff(t, "logits", r.Logits, ref.LogitsShape, ref.Logits); e > 1e-4 {
		t.Errorf("logits differ from the reference by %g (> 1e-4)", e)
	} else {
		t.Logf("logits: max |diff| %.2g", e)
	}
	if e := maxDiff(t, "attention", r.Attention, ref.AttentionShape, ref.Attention); e > 1e-4 {
		t.Errorf("attention differs from the reference by %g (> 1e-4)", e)
	} else {
		t.Logf("attention: max |diff| %.2g", e)
	}
}

// Greedy generation from BOS tells the known story: proof the weights, the
// RoPE convention and the tokenizer are right.
func TestGenerateFromBOS(t *testing.T) {
	m := testModel(t)
	ref := loadRef(t)
	ids, err := m.GenerateIDs([]int{m.Tokenizer().Special().BOS}, len(ref.GenerateIDs)-1)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ids, ref.GenerateIDs) {
		t.Errorf("greedy ids\n got %v\nwant %v", ids, ref.GenerateIDs)
	}
	const want = "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball. She wanted to play with it, but it was too high"
	if got := m.Decode(ids); got != want || ref.GenerateText != want {
		t.Errorf("greedy text\n got %q\nwant %q\n ref %q", got, want, ref.GenerateText)
	}
	s, err := m.Generate("Once upon a time, there was a little girl named Lily.", 12)
	if err != nil || !strings.HasPrefix(want, s) || len(s) < 80 {
		t.Errorf("Generate = %q, %v", s, err)
	}
}

// GGUF stores Q/K for interleaved RoPE (the converter un-permuted the
// Hugging Face layout). The half-split pairing scrambles the model: the
// known story becomes much less likely.
func TestRoPEConvention(t *testing.T) {
	m := testModel(t)
	ref := loadRef(t)
	nll := func(m *Model) float64 {
		r := m.RunIDs(ref.GenerateIDs)
		if r.Err() != nil {
			t.Fatal(r.Err())
		}
		lp := r.Logits.Softmax(-1)
		s := 0.0
		for i := 0; i+1 < len(ref.GenerateIDs); i++ {
			s -= math.Log(float64(lp.At(i, ref.GenerateIDs[i+1])))
		}
		return s / float64(len(ref.GenerateIDs)-1)
	}
	half := *m
	half.cfg.RopeHalf = true
	a, b := nll(m), nll(&half)
	t.Logf("mean NLL of the greedy story: interleaved %.3f, half-split %.3f", a, b)
	if !(a < 0.5 && b > 2*a) {
		t.Errorf("interleaved RoPE should fit the story far better: NLL %.3f vs %.3f", a, b)
	}
}

func TestAttentionRowsAndCausality(t *testing.T) {
	m := testModel(t)
	r := m.Run("Lily and Ben went to the park. They saw a big dog.")
	if err := r.Err(); err != nil {
		t.Fatal(err)
	}
	c := m.Config()
	T := len(r.IDs)
	if !reflect.DeepEqual(r.Attention.Shape(), []int{c.Layers, c.Heads, T, T}) {
		t.Fatalf("attention shape %v", r.Attention.Shape())
	}
	if len(r.Tokens) != T || r.Tokens[0] != "<s>" {
		t.Errorf("tokens %q", r.Tokens)
	}
	d := r.Attention.Data()
	for lh := 0; lh < c.Layers*c.Heads; lh++ {
		for i := 0; i < T; i++ {
			row := d[(lh*T+i)*T : (lh*T+i+1)*T]
			s := 0.0
			for j, w := range row {
				if j > i && w != 0 {
					t.Fatalf("layer %d head %d: query %d attends future key %d (%g)", lh/c.Heads, lh%c.Heads, i, j, w)
				}
				if w < 0 {
					t.Fatalf("negative weight %g", w)
				}
				s += float64(w)
			}
			if math.Abs(s-1) > 1e-5 {
				t.Fatalf("layer %d head %d row %d sums to %g", lh/c.Heads, lh%c.Heads, i, s)
			}
		}
	}
	if len(r.Q) != c.Layers || !reflect.DeepEqual(r.Q[0].Shape(), []int{c.Heads, T, c.HeadDim}) ||
		!reflect.DeepEqual(r.K[0].Shape(), []int{c.KVHeads, T, c.HeadDim}) || !reflect.DeepEqual(r.V[4].Shape(), []int{c.KVHeads, T, c.HeadDim}) {
		t.Errorf("Q/K/V shapes %v %v %v", r.Q[0].Shape(), r.K[0].Shape(), r.V[4].Shape())
	}
	if !reflect.DeepEqual(r.Logits.Shape(), []int{T, c.Vocab}) {
		t.Errorf("logits shape %v", r.Logits.Shape())
	}
}

// Q, K, V of a head reproduce that head's weights through SDPA.
func TestQKVReproduceHead(t *testing.T) {
	m := testModel(t)
	r := m.Run("The cat sat on the mat.")
	T := len(r.IDs)
	for _, lh := range [][2]int{{0, 0}, {2, 5}, {4, 7}} {
		q, k, v := r.QKV(lh[0], lh[1])
		a := tensor.ScaledDotProductAttention(q, k, v, tensor.CausalMask(T))
		want := r.Head(lh[0], lh[1])
		if e := maxDiff(t, "head", a.Weights, []int{T, T}, want.Data()); e > 1e-6 {
			t.Errorf("layer %d head %d: SDPA(QKV) differs from the record by %g", lh[0], lh[1], e)
		}
	}
	_, _, v := r.QKV(5, 0)
	if !errors.Is(v.Err(), tensor.ErrValue) {
		t.Errorf("QKV out of range: %v", v.Err())
	}
	if err := r.Head(0, 8).Err(); !errors.Is(err, tensor.ErrValue) || !strings.Contains(err.Error(), "0 to 7") {
		t.Errorf("Head out of range: %v", err)
	}
	if got := r.Next(); got == "" {
		t.Errorf("Next is empty")
	}
}

// Some heads attend to the previous token, and some favour the first token
// (BOS) well above what uniform attention would give it: the features the
// lesson points at.
func TestHeadPatterns(t *testing.T) {
	m := testModel(t)
	r := m.Run("Once upon a time, there was a little girl named Lily. She loved to play outside in the park with her friends.")
	c := m.Config()
	T := len(r.IDs)
	uniform := 0.0 // mean weight on key 0 if every query spread evenly
	for i := 1; i < T; i++ {
		uniform += 1 / float64(i+1)
	}
	uniform /= float64(T - 1)
	prev, bestFirst := 0, 0.0
	ps, fs := r.PrevTokenScore(), r.FirstTokenScore()
	if !reflect.DeepEqual(ps.Shape(), []int{c.Layers, c.Heads}) || fs.Err() != nil {
		t.Fatalf("scores: %v %v", ps, fs.Err())
	}
	for l := 0; l < c.Layers; l++ {
		for h := 0; h < c.Heads; h++ {
			w := r.Head(l, h)
			var p, f float64
			for i := 1; i < T; i++ {
				p += float64(w.At(i, i-1))
				f += float64(w.At(i, 0))
			}
			p /= float64(T - 1)
			f /= float64(T - 1)
			if math.Abs(p-float64(ps.At(l, h))) > 1e-6 || math.Abs(f-float64(fs.At(l, h))) > 1e-6 {
				t.Errorf("layer %d head %d: scores %v %v, want %v %v", l, h, ps.At(l, h), fs.At(l, h), p, f)
			}
			if p > 0.5 {
				prev++
				t.Logf("previous-token head: layer %d head %d (mean weight %.2f)", l, h, p)
			}
			bestFirst = math.Max(bestFirst, f/uniform)
		}
	}
	t.Logf("strongest first-token head: %.1f× uniform", bestFirst)
	if prev < 3 || bestFirst < 1.5 {
		t.Errorf("want ≥ 3 previous-token heads and a head on the first token ≥ 1.5× uniform, got %d and %.2f×", prev, bestFirst)
	}
}

func TestRunErrors(t *testing.T) {
	m := testModel(t)
	long := strings.Repeat("the cat sat. ", 100)
	r := m.Run(long)
	if !errors.Is(r.Err(), tensor.ErrValue) || !strings.Contains(r.Err().Error(), "context of 128") {
		t.Errorf("long prompt: %v", r.Err())
	}
	if r.Attention.Err() == nil || r.String() == "" {
		t.Errorf("failed record must carry the error in its tensors")
	}
	r = m.RunIDs([]int{1, 9999})
	if !errors.Is(r.Err(), tensor.ErrValue) || !strings.Contains(r.Err().Error(), "9999") {
		t.Errorf("bad id: %v", r.Err())
	}
	r = m.RunIDs(nil)
	if !errors.Is(r.Err(), tensor.ErrValue) {
		t.Errorf("no ids: %v", r.Err())
	}
	var nilModel *Model
	if nilModel.Run("x").Err() == nil {
		t.Errorf("nil model: no error")
	}
	if _, err := m.Generate("x", -1); !errors.Is(err, tensor.ErrValue) {
		t.Errorf("negative n: %v", err)
	}
	// One-token prompt (just BOS) works.
	if r := m.Run(""); r.Err() != nil || len(r.IDs) != 1 || r.Attention.At(0, 0, 0, 0) != 1 {
		t.Errorf("empty prompt: %v", r)
	} else if err := r.PrevTokenScore().Err(); !errors.Is(err, tensor.ErrValue) {
		t.Errorf("PrevTokenScore of one token: %v", err)
	}
	// Generation stops at the context length.
	ids, err := m.GenerateIDs(m.Tokenize(strings.Repeat("the cat sat. ", 9)), 200)
	if err != nil || len(ids) > m.Config().Context {
		t.Errorf("generate to context: %d ids, %v", len(ids), err)
	}
}

func TestProgress(t *testing.T) {
	m := testModel(t)
	var got []string
	pm := m.WithProgress(func(stage string, done, total int) {
		got = append(got, stage)
	})
	pm.Run("hi")
	if len(got) != m.Config().Layers || got[0] != "layer" {
		t.Errorf("progress during Run: %v", got)
	}
	got = nil
	pm.Generate("hi", 3)
	if len(got) == 0 || got[len(got)-1] != "generate" {
		t.Errorf("progress during Generate: %v", got)
	}
}

// rewrite writes g again as a GGUF file of the version with the tensors ts
// (g's metadata without its alignment) and loads it as a model on the CPU.
func rewrite(t *testing.T, g *GGUF, version uint32, ts []wTensor) *Model {
	t.Helper()
	var kvs []KV
	for _, kv := range g.KV {
		if kv.Key != "general.alignment" {
			kvs = append(kvs, kv)
		}
	}
	return modelFromGGUF(t, encodeGGUF(version, kvs, ts, 0))
}

// Without output.weight the embedding matrix is the output projection; this
// model's output.weight equals its embedding, so the logits must not change.
func TestTiedEmbeddings(t *testing.T) {
	m := testModel(t)
	g, err := ReadGGUF(modelPath)
	if err != nil {
		t.Fatal(err)
	}
	emb, out := g.Tensor("token_embd.weight").Data(), g.Tensor("output.weight").Data()
	if !reflect.DeepEqual(emb, out) {
		t.Skip("this model's output.weight differs from its embedding")
	}
	var ts []wTensor
	for _, ti := range g.Tensors {
		if ti.Name == "output.weight" {
			continue
		}
		ts = append(ts, wTensor{ti.Name, ti.Dims, ti.Type, f32raw(g.Tensor(ti.Name).Data()...)})
	}
	m2 := rewrite(t, g, 3, ts)
	if !m2.Config().TiedEmbeddings || m.Config().TiedEmbeddings {
		t.Errorf("tied: %v / %v", m2.Config().TiedEmbeddings, m.Config().TiedEmbeddings)
	}
	a, b := m.Run("Lily").Logits.Data(), m2.Run("Lily").Logits.Data()
	if !reflect.DeepEqual(a, b) {
		t.Errorf("tied logits differ")
	}
}

func TestLoadErrors(t *testing.T) {
	_, err := FromGGUF(mustParse(t, sampleGGUF(3)))
	if !errors.Is(err, tensor.ErrFormat) || !strings.Contains(err.Error(), "llama.block_count") {
		t.Errorf("metadata missing: %v", err)
	}
	g := mustParse(t, encodeGGUF(3, []KV{{"general.architecture", TypeString, "gpt2"}}, nil, 0))
	if _, err := FromGGUF(g); !errors.Is(err, tensor.ErrFormat) || !strings.Contains(err.Error(), "gpt2") {
		t.Errorf("arch: %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Errorf("MustLoad of a missing file did not panic")
		}
	}()
	MustLoad("does/not/exist.gguf")
}

func mustParse(t testing.TB, b []byte) *GGUF {
	g, err := ParseGGUF(b)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// BenchmarkForward128: forward pass + attention capture for 128 tokens on the CPU.
func BenchmarkForward128(b *testing.B) {
	m := testModel(b)
	ids := m.Tokenize(strings.Repeat("Once upon a time, there was a little girl named Lily. ", 10))[:128]
	cputime.Run(b, func() error { return m.RunIDs(ids).Err() })
}

// The same model stored as F16 loads and behaves nearly the same.
func TestF16Model(t *testing.T) {
	m := testModel(t)
	g, err := ReadGGUF(modelPath)
	if err != nil {
		t.Fatal(err)
	}
	var ts []wTensor
	for _, ti := range g.Tensors {
		d := g.Tensor(ti.Name).Data()
		hs := make([]uint16, len(d))
		for i, x := range d {
			hs[i] = tensor.Float32ToFloat16(x)
			if back := tensor.Float16ToFloat32(hs[i]); math.Abs(float64(back-x)) > 1e-3*math.Abs(float64(x))+1e-4 {
				t.Fatalf("half round trip %v → %v", x, back)
			}
		}
		ts = append(ts, wTensor{ti.Name, ti.Dims, GGMLF16, f16raw(hs...)})
	}
	m16 := rewrite(t, g, 2, ts)
	a, b := m.Run("Once upon a time").Logits.Data(), m16.Run("Once upon a time").Logits.Data()
	worst := testutil.MaxAbsDiff(a, b)
	t.Logf("F16 weights: logits max |diff| %.3g", worst)
	if worst > 0.1 {
		t.Errorf("F16 logits differ by %g", worst)
	}
	s, _ := m16.Generate("", 20)
	if !strings.HasPrefix(s, "Once upon a time") {
		t.Errorf("F16 model generates %q", s)
	}
}

func TestRecordSaveSafetensors(t *testing.T) {
	m := testModel(t)
	r := m.Run("Lily saw a cat")
	path := t.TempDir() + "/att.safetensors"
	if err := r.SaveSafetensors(path); err != nil {
		t.Fatal(err)
	}
	f := tensor.LoadSafetensors(path)
	err := f.Err()
	if err != nil {
		t.Fatal(err)
	}
	att := f.Tensor("attention")
	if !reflect.DeepEqual(att.Shape(), r.Attention.Shape()) || !reflect.DeepEqual(att.Data(), r.Attention.Data()) {
		t.Errorf("attention does not round-trip: %v", att.Shape())
	}
	var toks []string
	if err := json.Unmarshal([]byte(f.Metadata()["tokens"]), &toks); err != nil || !reflect.DeepEqual(toks, r.Tokens) {
		t.Errorf("tokens metadata %q (%v), want %q", f.Metadata()["tokens"], err, r.Tokens)
	}
	bad := m.Run(strings.Repeat("x ", 500))
	if err := bad.SaveSafetensors(t.TempDir() + "/x.safetensors"); err == nil {
		t.Errorf("a failed record saved without error")
	}
}
