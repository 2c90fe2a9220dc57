package model

import (
	"bufio"
	"encoding/binary"
	"flag"
	"fmt"
	"math"
	"math/rand"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/attnviz/attnviz/tensor"
)

// Load speed and peak memory of a quantized GPT-2-small-shaped file, run by
// scripts/bench_load.sh (make bench-model-load) as two processes, so the
// loader's peak RSS is its own:
//
//	go test -c -o /tmp/model.test ./model
//	/tmp/model.test -test.run '^TestWriteBenchGGUF$' -write-bench-gguf q8.gguf -bench-type Q8_0
//	/tmp/model.test -test.run '^TestLoadPeakRSS$' -load-rss q8.gguf -load-mode weights|model
var (
	writeBenchGGUF = flag.String("write-bench-gguf", "", "write a GPT-2-small-shaped GGUF with random weights to this path and exit the test")
	benchType      = flag.String("bench-type", "Q8_0", "tensor type of the 2-D weights of -write-bench-gguf (Q8_0, Q4_K, Q6_K, F16, F32)")
	loadRSS        = flag.String("load-rss", "", "load this model file and report time and peak RSS")
	loadMode       = flag.String("load-mode", "weights", "what -load-rss loads: weights (ReadWeights and decode every tensor once, linear weights transposed) or model (model.Load)")
)

// The bench* sizes are GPT-2 small: 12 layers, 768 wide, 12 heads, FFN 3072,
// vocabulary 50257, context 1024 — 124,439,808 parameters (output tied).
const (
	benchLayers, benchDim, benchFFN, benchVocab, benchCtx = 12, 768, 3072, 50257, 1024
)

func TestWriteBenchGGUF(t *testing.T) {
	if *writeBenchGGUF == "" {
		t.Skip("run by scripts/bench_load.sh with -write-bench-gguf PATH")
	}
	var typ GGMLType = 255
	for k, v := range ggmlNames {
		if v == *benchType {
			typ = k
		}
	}
	q, ok := quantizers[typ]
	if !ok && typ != GGMLF32 && typ != GGMLF16 {
		t.Fatalf("-bench-type %s: want one of Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K … Q6_K, F16, F32", *benchType)
	}
	rng := rand.New(rand.NewSource(124))
	D, F, V, C := benchDim, benchFFN, benchVocab, benchCtx
	var ts []wTensor
	params := 0
	f32 := func(name string, n int, std float64, bias float32) {
		xs := make([]float32, n)
		for i := range xs {
			xs[i] = float32(rng.NormFloat64()*std) + bias
		}
		ts = append(ts, wTensor{name, []uint64{uint64(n)}, GGMLF32, f32raw(xs...)})
		params += n
	}
	mat := func(name string, rows, cols int) {
		xs := make([]float32, 32)
		n := rows * cols
		var raw []byte
		switch {
		case typ == GGMLF32:
			raw = make([]byte, 0, 4*n)
		case typ == GGMLF16:
			raw = make([]byte, 0, 2*n)
		default:
			raw = make([]byte, 0, n/ggmlBlocks[typ][0]*ggmlBlocks[typ][1])
		}
		blk := 32
		if ok {
			blk = ggmlBlocks[typ][0]
			xs = make([]float32, blk)
		}
		for i := 0; i < n; i += blk {
			for j := range xs {
				xs[j] = float32(rng.NormFloat64() * 0.02)
			}
			switch typ {
			case GGMLF32:
				raw = append(raw, f32raw(xs...)...)
			case GGMLF16:
				for _, x := range xs {
					raw = binary.LittleEndian.AppendUint16(raw, tensor.Float32ToFloat16(x))
				}
			default:
				b, _ := q(xs)
				raw = append(raw, b...)
			}
		}
		ts = append(ts, wTensor{name, []uint64{uint64(cols), uint64(rows)}, typ, raw})
		params += n
	}
	mat("token_embd.weight", V, D)
	mat("position_embd.weight", C, D)
	for l := 0; l < benchLayers; l++ {
		p := fmt.Sprintf("blk.%d.", l)
		f32(p+"attn_norm.weight", D, 0.02, 1)
		f32(p+"attn_norm.bias", D, 0.02, 0)
		mat(p+"attn_qkv.weight", 3*D, D)
		f32(p+"attn_qkv.bias", 3*D, 0.02, 0)
		mat(p+"attn_output.weight", D, D)
		f32(p+"attn_output.bias", D, 0.02, 0)
		f32(p+"ffn_norm.weight", D, 0.02, 1)
		f32(p+"ffn_norm.bias", D, 0.02, 0)
		mat(p+"ffn_up.weight", F, D)
		f32(p+"ffn_up.bias", F, 0.02, 0)
		mat(p+"ffn_down.weight", D, F)
		f32(p+"ffn_down.bias", D, 0.02, 0)
	}
	f32("output_norm.weight", D, 0.02, 1)
	f32("output_norm.bias", D, 0.02, 0)
	// a byte-level BPE vocabulary of GPT-2's size: the 256 byte characters,
	// filler tokens, <|endoftext|> last
	toks := make([]string, V)
	for i := range toks {
		if i < 256 {
			toks[i] = byteChars[i]
		} else {
			toks[i] = "tok" + strconv.Itoa(i)
		}
	}
	toks[V-1] = "<|endoftext|>"
	types := make([]int32, V)
	for i := range types {
		types[i] = tokNormal
	}
	types[V-1] = tokControl
	kvs := []KV{
		{"general.architecture", TypeString, "gpt2"},
		{"general.name", TypeString, "gpt2-small-shaped random " + *benchType},
		{"gpt2.block_count", TypeUint32, uint32(benchLayers)},
		{"gpt2.context_length", TypeUint32, uint32(C)},
		{"gpt2.embedding_length", TypeUint32, uint32(D)},
		{"gpt2.feed_forward_length", TypeUint32, uint32(F)},
		{"gpt2.attention.head_count", TypeUint32, uint32(12)},
		{"gpt2.attention.layer_norm_epsilon", TypeFloat32, float32(1e-5)},
		{"tokenizer.ggml.model", TypeString, "gpt2"},
		{"tokenizer.ggml.pre", TypeString, "gpt-2"},
		{"tokenizer.ggml.tokens", TypeArray, &Array{Elem: TypeString, Len: V, Values: toks}},
		{"tokenizer.ggml.token_type", TypeArray, &Array{Elem: TypeInt32, Len: V, Values: types}},
		{"tokenizer.ggml.merges", TypeArray, &Array{Elem: TypeString, Len: 1, Values: []string{"Ġ t"}}},
		{"tokenizer.ggml.bos_token_id", TypeUint32, uint32(V - 1)},
		{"tokenizer.ggml.eos_token_id", TypeUint32, uint32(V - 1)},
	}
	b := encodeGGUF(3, kvs, ts, 0)
	if err := os.WriteFile(*writeBenchGGUF, b, 0o644); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("wrote %s: %s, %d parameters (F32 size %.1f MB), file %.1f MB\n", *writeBenchGGUF, *benchType, params, float64(params)*4/1e6, float64(len(b))/1e6)
}

// peakRSS reads VmHWM (the process's peak resident set) in bytes.
func peakRSS() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/self/status")
}

func TestLoadPeakRSS(t *testing.T) {
	if *loadRSS == "" {
		t.Skip("run by scripts/bench_load.sh with -load-rss FILE")
	}
	base, err := peakRSS()
	if err != nil {
		t.Skip(err)
	}
	start := time.Now()
	var params int
	var keep []*tensor.Tensor
	switch *loadMode {
	case "weights":
		w, err := ReadWeights(*loadRSS)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range archTensors(w.Config, w.Has) {
			if !w.Has(s.name) {
				continue
			}
			var x *tensor.Tensor
			if len(s.shape) == 2 && strings.HasPrefix(s.name, "blk.") {
				x = w.TensorT(s.name)
			} else {
				x = w.Tensor(s.name)
			}
			if err := x.Err(); err != nil {
				t.Fatal(err)
			}
			keep = append(keep, x)
			params += x.Len()
		}
		w.Close()
	case "model":
		// count the parameters first, then forget that read and reset
		// the peak (clear_refs 5), so only Load is measured
		w, err := ReadWeights(*loadRSS)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range w.Names() {
			params += shapeLen(w.Shape(n))
		}
		w.Close()
		w = nil
		debug.FreeOSMemory()
		if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
			t.Logf("cannot reset the peak RSS (%v): it includes reading the file twice", err)
		}
		start = time.Now()
		m, err := Load(*loadRSS, Device(tensor.CPU))
		if err != nil {
			t.Fatal(err)
		}
		defer runtime.KeepAlive(m)
	default:
		t.Fatalf("-load-mode %q: want weights or model", *loadMode)
	}
	elapsed := time.Since(start)
	peak, _ := peakRSS()
	f32 := int64(params) * 4
	st, _ := os.Stat(*loadRSS)
	fmt.Printf("load %s (%s): %.2f s; peak RSS %.1f MB (process start %.1f MB); F32 weights %.1f MB; file %.1f MB; peak/F32 = %.2f\n",
		*loadRSS, *loadMode, elapsed.Seconds(), float64(peak)/1e6, float64(base)/1e6, float64(f32)/1e6, float64(st.Size())/1e6, float64(peak)/float64(f32))
	runtime.KeepAlive(keep)
	if float64(peak) > 1.5*float64(f32) {
		t.Errorf("peak RSS %.1f MB is above 1.5 × the F32 weight size (%.1f MB)", float64(peak)/1e6, 1.5*float64(f32)/1e6)
	}
}

func shapeLen(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	if math.MaxInt32 < n {
		return 0
	}
	return n
}
