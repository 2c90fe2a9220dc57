package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/attnviz/attnviz/internal/english"
	"github.com/attnviz/attnviz/model"
	"github.com/attnviz/attnviz/tensor"
)

const modelUsage = `usage: attnviz model [-m FILE.gguf] -prompt TEXT [-o OUT] [flags]

Runs a model on a prompt (BOS is added where the model has one) and records the
attention of every layer and head, or of those asked for: a heatmap or strip
(-layer L -head H) records that one head; -layers and -heads (lists such as
0,2-4) choose what a .safetensors record holds. The memory a run needs is
estimated first; a run over the budget (-memory, default: half of the
machine's memory) is refused with what to change.

  -o OUT.safetensors   write tensor "attention" [layers, heads, T, T] float32
                       with metadata "tokens" (a JSON list of token strings);
                       with -layers/-heads, metadata "layers" and "heads" say
                       which of the model's each row and column is
  -o OUT.png|.svg|.pdf|.html
                       draw a figure; -view, -layer, -head, -query and the
                       style flags work as in 'attnviz render'
  -generate N          print a greedy continuation of N tokens
  (no -o and no -generate: print the tokens and the most likely next token)

Examples:
  attnviz model -prompt "Once upon a time, there was a little girl" -o grid.png
  attnviz model -prompt "Lily and Ben" -view heatmap -layer 1 -head 3 -o head.svg
  attnviz model -prompt "Once upon a time" -generate 40
  attnviz model -prompt "$(cat story.txt)" -layers 3 -heads 0,5 -o rec.safetensors

Without -m the lesson model stories260Ktok512.gguf is used, from any folder:
$ATTNVIZ_MODEL if set, else the user cache folder (~/.cache/attnviz/models
on Linux), where 'make model' puts it, else models/ or ../shared/models/ of
the attnviz checkout you are in. 'attnviz model -where' prints which file
that is (or everywhere it looked).

flags:
`

// runModel is the "attnviz model" subcommand; it returns the exit status.
func runModel(args []string) int { return runModelIO(args, os.Stdout, os.Stderr) }

func runModelIO(args []string, stdout, stderr io.Writer) int {
	var f renderFlags
	fs := flag.NewFlagSet("attnviz model", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, modelUsage); fs.PrintDefaults() }
	path := fs.String("m", "", "the model: a GGUF file (llama, qwen2, gpt2 or bert; F32/F16/BF16 or quantized Q8_0 … Q6_K) or a Hugging Face folder (config.json, model.safetensors, tokenizer.json); default: the lesson model, see above")
	prompt := fs.String("prompt", "", "the text to run")
	gen := fs.Int("generate", 0, "print a greedy continuation of N tokens")
	devName := fs.String("device", "", "cpu or cuda (default: $ATTNVIZ_DEVICE, else cpu)")
	quiet := fs.Bool("q", false, "no progress or summary messages on stderr")
	recLayers := fs.String("layers", "", "record only these layers, e.g. 0,2-4 (default: every layer; a heatmap or strip records its -layer)")
	recHeads := fs.String("heads", "", "record only these heads, e.g. 0,5 (default: every head; a heatmap or strip records its -head)")
	memory := fs.String("memory", "", "memory budget of the run, e.g. 8GB, 512MiB or off (default: $"+model.BudgetEnv+", else half of the machine's memory)")
	where := fs.Bool("where", false, "print the lesson model's path and exit (1 when it is not found, saying where it looked)")
	fs.StringVar(&f.out, "o", "", "output file: .safetensors, .png, .svg, .pdf or .html")
	f.addFigureFlags(fs, "grid, or heatmap with -head", "figure title (default: the model file and view)")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 1
	}
	fail := func(code int, format string, a ...any) int {
		// the model package's errors start with "model: ", which the
		// command's own prefix already says
		msg := strings.TrimPrefix(fmt.Sprintf(format, a...), "model: ")
		fmt.Fprintf(stderr, "attnviz model: %s\n", msg)
		return code
	}
	if fs.NArg() > 0 {
		return fail(1, "unexpected argument %q; quote the prompt: -prompt %q", fs.Arg(0), strings.Join(fs.Args(), " "))
	}
	if *gen < 0 {
		return fail(1, "-generate wants a number of tokens ≥ 0, got %d", *gen)
	}
	ext := strings.ToLower(filepath.Ext(f.out))
	switch ext {
	case "", ".safetensors", ".png", ".svg", ".pdf", ".html":
	default:
		return fail(1, "cannot write %q: the output must end in .safetensors, .png, .svg, .pdf or .html", f.out)
	}
	if *where {
		p, err := model.FindLessonModel()
		if err != nil {
			return fail(1, "%v", err)
		}
		abs, _ := filepath.Abs(p)
		fmt.Fprintln(stdout, abs)
		return 0
	}
	var runOpts []model.RunOption
	if *memory != "" {
		b, err := model.ParseBytes(*memory)
		if err != nil {
			return fail(1, "-memory %q: want a size such as 8GB, 512MiB or 2000000000, or off", *memory)
		}
		runOpts = append(runOpts, model.MemoryBudget(b))
	}
	layerList, err := parseIntList(*recLayers)
	if err != nil {
		return fail(1, "-layers %q: %v", *recLayers, err)
	}
	headList, err := parseIntList(*recHeads)
	if err != nil {
		return fail(1, "-heads %q: %v", *recHeads, err)
	}
	oneHead := f.oneHeadView() && ext != "" && ext != ".safetensors"
	if (layerList != nil || headList != nil) && ext != "" && ext != ".safetensors" && !oneHead {
		return fail(1, "-layers and -heads choose what a .safetensors record holds (or a heatmap's head); a %s figure numbers the layers and heads it is given from 0, so draw it from a full record and pick with -layer and -head", viewName(f))
	}
	if *path == "" {
		p, err := model.FindLessonModel()
		if err != nil {
			return fail(1, "%v (or give a GGUF file with -m)", err)
		}
		*path = p
	}
	var opts []model.Option
	if *devName != "" {
		d, err := tensor.Lookup(*devName)
		if err == nil {
			err = d.Available()
		}
		if err != nil {
			return fail(1, "-device %s: %v", *devName, err)
		}
		opts = append(opts, model.Device(d))
	}
	prog := &modelProgress{w: stderr, quiet: *quiet, start: time.Now()}
	opts = append(opts, model.Progress(prog.report))
	m, err := model.Load(*path, opts...)
	if err != nil {
		return fail(1, "%v", err)
	}

	if *gen > 0 {
		start, err := m.Encode(*prompt)
		if err != nil {
			prog.done()
			return fail(1, "%v", err)
		}
		ids, err := m.GenerateIDs(start, *gen)
		prog.done()
		if err != nil {
			return fail(1, "%v", err)
		}
		fmt.Fprintln(stdout, m.Decode(ids))
		if got := len(ids) - len(start); got < *gen && !*quiet {
			why := "the model ended the text"
			if len(ids) >= m.Config().Context {
				why = fmt.Sprintf("the model's context of %d tokens is full", m.Config().Context)
			}
			fmt.Fprintf(stderr, "stopped after %d of %d tokens: %s\n", got, *gen, why)
		}
		if f.out == "" {
			return 0
		}
	}

	c := m.Config()
	if oneHead {
		// a heatmap or strip: record that one head only
		l, h := max(f.layer, 0), max(f.head, 0)
		if layerList != nil || headList != nil {
			if len(layerList) > 1 || len(headList) > 1 {
				return fail(1, "a %s draws one head; give -layer L -head H (or one layer in -layers and one head in -heads)", viewName(f))
			}
			if layerList != nil {
				l = layerList[0]
			}
			if headList != nil {
				h = headList[0]
			}
		}
		if l >= c.Layers {
			return fail(1, "-layer %d is out of range: the model has %d layers (0 … %d)", l, c.Layers, c.Layers-1)
		}
		if h >= c.Heads {
			return fail(1, "-head %d is out of range: the model has %d heads (0 … %d)", h, c.Heads, c.Heads-1)
		}
		layerList, headList = []int{l}, []int{h}
		f.layer, f.head = 0, 0 // the record's only head
	}
	if layerList != nil {
		runOpts = append(runOpts, model.RecordLayers(layerList...))
	}
	if headList != nil {
		runOpts = append(runOpts, model.RecordHeads(headList...))
	}
	prog.start = time.Now()
	r := m.Run(*prompt, runOpts...)
	prog.done()
	if err := r.Err(); err != nil {
		return fail(1, "%v", err)
	}
	switch ext {
	case "":
		if r.Logits == nil {
			fmt.Fprintf(stdout, "%s\n%s: %s\n(a %s model encodes text and has no next token)\n", c, english.Count(len(r.Tokens), "token"), modelQuote(r.Tokens), c.Arch)
		} else {
			fmt.Fprintf(stdout, "%s\n%s: %s\nnext token: %q\n", c, english.Count(len(r.Tokens), "token"), modelQuote(r.Tokens), r.Next())
		}
		if !*quiet {
			fmt.Fprintln(stderr, "add -o attention.safetensors (or .png, .svg, .pdf, .html) to save the attention")
		}
		return 0
	case ".safetensors":
		err = r.SaveSafetensors(f.out)
	default:
		err = drawModelRecord(f, *path, r)
	}
	if err != nil {
		return fail(1, "%v", err)
	}
	if !*quiet {
		fmt.Fprintf(stderr, "wrote %s (%s, %d of %d layers × %d of %d heads)\n", f.out, english.Count(len(r.Tokens), "token"), len(r.Layers), c.Layers, len(r.Heads), c.Heads)
	}
	return 0
}

// viewName is the figure -view names (or the default, a grid).
func viewName(f renderFlags) string {
	if f.view != "" {
		return f.view
	}
	if f.head >= 0 {
		return "heatmap"
	}
	return "grid"
}

// parseIntList reads "0,2-4,7" (nil for ""): the numbers in the order given.
func parseIntList(s string) ([]int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var out []int
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.Atoi(strings.TrimSpace(lo))
		b := a
		if err == nil && isRange {
			b, err = strconv.Atoi(strings.TrimSpace(hi))
		}
		if err != nil || a < 0 || b < a || b-a > 1<<16 {
			return nil, fmt.Errorf("want numbers ≥ 0 and ranges separated by commas, e.g. 0,2-4; %q is not one", part)
		}
		for v := a; v <= b; v++ {
			out = append(out, v)
		}
	}
	return out, nil
}

func modelQuote(s []string) string {
	q := make([]string, len(s))
	for i, x := range s {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, " ")
}

// drawModelRecord draws the record with render's views and style flags.
func drawModelRecord(f renderFlags, modelPath string, r *model.Record) error {
	if f.title == "" {
		name := strings.TrimSuffix(filepath.Base(modelPath), filepath.Ext(modelPath))
		view := f.view
		if view == "" && f.head >= 0 {
			view = "heatmap"
		}
		switch view {
		case "heatmap", "strip":
			f.title = fmt.Sprintf("%s: layer %d, head %d", name, r.Layers[0], r.Heads[0])
		case "stats":
			f.title = name + ": what each head attends to"
		case "rollout":
			f.title = name + ": attention rollout"
		case "induction":
			f.title = name + ": induction heads"
		default:
			f.title = fmt.Sprintf("%s: %d layers × %d heads", name, r.Config.Layers, r.Config.Heads)
		}
	}
	opts, err := options(f)
	if err != nil {
		return err
	}
	fig, err := figure(f, r.Attention, r.Tokens, opts)
	if err != nil {
		return err
	}
	if err := figErr(f, fig); err != nil {
		return err
	}
	return fig.Save(f.out)
}

// modelProgress prints "layer 3/5" or "generate 12/40" on one line of stderr,
// once a run has taken longer than half a second.
type modelProgress struct {
	w       io.Writer
	quiet   bool
	start   time.Time
	printed bool
}

func (p *modelProgress) report(stage string, done, total int) {
	if p.quiet || time.Since(p.start) < 500*time.Millisecond {
		return
	}
	fmt.Fprintf(p.w, "\r%s %d/%d ", stage, done, total)
	p.printed = true
}

func (p *modelProgress) done() {
	if p.printed {
		fmt.Fprintln(p.w)
		p.printed = false
	}
}
