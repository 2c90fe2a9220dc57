package model

// What a Run records, and whether it fits in memory. Recording every layer
// and head is L·H·T² floats: 16 layers × 32 heads at 4096 tokens is 34 GB.
// Run records the layers and heads asked for (RecordLayers, RecordHeads),
// estimates the memory the run needs before allocating any of it, and
// refuses with a message naming these options when the estimate is over
// the budget (MemoryBudget; ATTNVIZ_MEMORY_BUDGET; by default half the
// machine's memory, or of the container's limit).

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/attnviz/attnviz/tensor"
)

// RunOption chooses what Run (RunIDs, RunTypes) records and how much
// memory it may use.
type RunOption func(*runOptions)

type runOptions struct {
	layers, heads []int // nil: all
	budget        int64 // bytes; 0: no limit
	budgetSet     bool
}

// RecordLayers makes Run record the attention weights (and Q, K, V) of
// these layers only; the record's Attention is then [len(layers), heads,
// T, T] and Record.Layers says which layer each row is. Default: every
// layer.
func RecordLayers(layers ...int) RunOption {
	return func(o *runOptions) { o.layers = append([]int{}, layers...) }
}

// RecordHeads makes Run record these query heads only (of every recorded
// layer); Record.Heads says which head each column of Attention is.
// Default: every head.
func RecordHeads(heads ...int) RunOption {
	return func(o *runOptions) { o.heads = append([]int{}, heads...) }
}

// MemoryBudget sets how many bytes a Run may need (its record, the
// logits and the forward pass's working memory) before it refuses to
// start; 0 or less turns the check off. Default: DefaultMemoryBudget().
func MemoryBudget(bytes int64) RunOption {
	return func(o *runOptions) { o.budget, o.budgetSet = max(bytes, 0), true }
}

// BudgetEnv is the environment variable that sets the default memory
// budget of a Run: a size such as "8GB", "512MiB" or "2000000000", or
// "off" for no limit.
const BudgetEnv = "ATTNVIZ_MEMORY_BUDGET"

// DefaultMemoryBudget is the budget of a Run without MemoryBudget: the
// value of ATTNVIZ_MEMORY_BUDGET when set, else half of the machine's
// memory (or of the container's memory limit, when lower), else 0 (no
// limit) where the system does not say. It also returns where the value
// came from, for messages.
func DefaultMemoryBudget() (bytes int64, from string) {
	if s := strings.TrimSpace(os.Getenv(BudgetEnv)); s != "" {
		if b, err := ParseBytes(s); err == nil {
			return b, BudgetEnv + "=" + s
		}
	}
	total, what := machineMemory()
	if total <= 0 {
		return 0, "no limit (the system does not say how much memory it has)"
	}
	return total / 2, "half of " + what + " " + fmtBytes(total)
}

// ParseBytes reads a size: a number of bytes, with an optional unit kB,
// MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (of 1024); "off",
// "none" or "0" mean no limit (0).
func ParseBytes(s string) (int64, error) {
	t := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	switch t {
	case "off", "none", "0":
		return 0, nil
	}
	units := []struct {
		suffix string
		mult   float64
	}{{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
		{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12}, {"k", 1e3}, {"m", 1e6}, {"g", 1e9}, {"t", 1e12}, {"b", 1}}
	mult := 1.0
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSuffix(t, u.suffix), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || !(v >= 0) || v*mult > math.MaxInt64/2 {
		return 0, tensor.Errorf(tensor.ErrValue, "model: memory size %q: want a number of bytes with an optional unit (kB, MB, GB, GiB, …), e.g. 8GB, or off", s)
	}
	return int64(v * mult), nil
}

func fmtBytes(b int64) string {
	switch {
	case b >= 1e9:
		return fmt.Sprintf("%.1f GB", float64(b)/1e9)
	case b >= 1e6:
		return fmt.Sprintf("%.0f MB", float64(b)/1e6)
	}
	return fmt.Sprintf("%.0f kB", float64(b)/1e3)
}

// machineMemory is the memory a run can count on: the smaller of the
// machine's physical memory and the cgroup's limit, and what it is.
func machineMemory() (int64, string) {
	total := physicalMemory()
	what := "this machine's memory,"
	if lim := cgroupLimit(); lim > 0 && (total <= 0 || lim < total) {
		total, what = lim, "this container's memory limit,"
	}
	return total, what
}

// cgroupLimit is the memory limit of the process's cgroup (v2, or v1), or
// 0 when there is none.
func cgroupLimit() int64 {
	for _, p := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err == nil && v > 0 && v < 1<<60 { // "max", or v1's "no limit" (a huge number)
			return v
		}
	}
	return 0
}

// resolve checks the options against the model and returns the layers
// and heads to record (every one when not given) and the budget.
func (o *runOptions) resolve(c Config) (layers, heads []int, err error) {
	pick := func(what, opt string, given []int, n int) ([]int, error) {
		if given == nil {
			out := make([]int, n)
			for i := range out {
				out[i] = i
			}
			return out, nil
		}
		if len(given) == 0 {
			return nil, tensor.Errorf(tensor.ErrValue, "model: %s() records no %s; give at least one (0 … %d)", opt, what, n-1)
		}
		seen := map[int]bool{}
		for _, v := range given {
			if v < 0 || v >= n {
				return nil, tensor.Errorf(tensor.ErrValue, "model: %s(%d): the model has %ss 0 … %d", opt, v, what, n-1)
			}
			if seen[v] {
				return nil, tensor.Errorf(tensor.ErrValue, "model: %s: %s %d is given twice", opt, what, v)
			}
			seen[v] = true
		}
		return given, nil
	}
	if layers, err = pick("layer", "RecordLayers", o.layers, c.Layers); err != nil {
		return nil, nil, err
	}
	heads, err = pick("head", "RecordHeads", o.heads, c.Heads)
	return layers, heads, err
}

// runMemory is what a run of T tokens recording layers × heads needs, in
// bytes: the record (weights, and Q, K, V of the recorded layers), the
// logits and hidden state it returns, and the forward pass's working
// memory (two layers' intermediates, alternately: each layer's attention
// weights of every head, [H, T, T], and its activations).
type runMemory struct {
	record, qkv, outputs, pass int64
}

func (r runMemory) total() int64 { return r.record + r.qkv + r.outputs + r.pass }

func estimateRun(c Config, T, layers, heads int, lmHead bool) runMemory {
	t := int64(T)
	const f = 4 // bytes per float32
	var m runMemory
	m.record = int64(layers) * int64(heads) * t * t * f
	m.qkv = int64(layers) * int64(c.Heads+2*c.KVHeads) * t * int64(c.HeadDim) * f
	m.outputs = t * int64(c.Dim) * f
	if lmHead {
		m.outputs += t * int64(c.Vocab) * f
	}
	perLayer := int64(c.Heads)*t*t + t*int64(4*c.Dim+3*c.FFN+2*(c.Heads+2*c.KVHeads)*c.HeadDim)
	m.pass = 2 * perLayer * f
	return m
}

// checkBudget refuses a run whose estimate is over the budget.
func (m *Model) checkBudget(o *runOptions, T int, layers, heads []int) error {
	budget, from := o.budget, "model.MemoryBudget"
	if !o.budgetSet {
		budget, from = DefaultMemoryBudget()
	}
	if budget <= 0 {
		return nil
	}
	est := estimateRun(m.cfg, T, len(layers), len(heads), m.net != nil && m.net.head != nil)
	if est.total() <= budget {
		return nil
	}
	what := "every layer and head"
	if len(layers) < m.cfg.Layers || len(heads) < m.cfg.Heads {
		what = fmt.Sprintf("%d layers × %d heads", len(layers), len(heads))
	}
	return tensor.Errorf(tensor.ErrValue, "model: recording %s (%d × %d) at %d tokens needs about %s (%s of attention weights, %s for the forward pass, %s of Q, K, V, logits and hidden states), more than the memory budget of %s (%s); record fewer layers and heads with model.RecordLayers and model.RecordHeads (attnviz model -layers, -heads), give a shorter prompt, or change the budget with model.MemoryBudget or %s (attnviz model -memory)",
		what, len(layers), len(heads), T, fmtBytes(est.total()), fmtBytes(est.record), fmtBytes(est.pass), fmtBytes(est.qkv+est.outputs), fmtBytes(budget), from, BudgetEnv)
}

// notRecorded is the error of a layer or head the record does not hold.
func notRecorded(op, what string, v int, have []int, opt string) error {
	return tensor.Errorf(tensor.ErrValue, "Record.%s: %s %d was not recorded (the record holds %ss %v); run with model.%s(%d) to record it", op, what, v, what, have, opt, v)
}

// recordIndex is the position of v in have, or -1.
func recordIndex(have []int, v int) int { return slices.Index(have, v) }

// layers is Record.Layers, or every layer of the model for a record made
// without them (by hand, or by an older version).
func (r *Record) layers() []int {
	if r.Layers != nil {
		return r.Layers
	}
	return seqInts(r.Config.Layers)
}

// heads is Record.Heads, or every head of the model.
func (r *Record) heads() []int {
	if r.Heads != nil {
		return r.Heads
	}
	return seqInts(r.Config.Heads)
}

func seqInts(n int) []int {
	s := make([]int, max(n, 0))
	for i := range s {
		s[i] = i
	}
	return s
}
