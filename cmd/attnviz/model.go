package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/attnviz/attnviz/model"
	"github.com/attnviz/attnviz/tensor"
)

const modelUsage = `usage: attnviz model [-m FILE.gguf] -prompt TEXT [-o OUT] [flags]

Runs a Llama-style GGUF model on a prompt (BOS is added) and records every
layer's and head's attention.

  -o OUT.safetensors   write tensor "attention" [layers, heads, T, T] float32
                       with metadata "tokens" (a JSON list of token strings)
  -o OUT.png|.svg|.pdf|.html
                       draw a figure; -view, -layer, -head, -query and the
                       style flags work as in 'attnviz render'
  -generate N          print a greedy continuation of N tokens
  (no -o and no -generate: print the tokens and the most likely next token)

Examples:
  attnviz model -prompt "Once upon a time, there was a little girl" -o grid.png
  attnviz model -prompt "Lily and Ben" -view heatmap -layer 1 -head 3 -o head.svg
  attnviz model -prompt "Once upon a time" -generate 40

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
	path := fs.String("m", "", "GGUF model file (default: the lesson model, see above)")
	prompt := fs.String("prompt", "", "the text to run")
	gen := fs.Int("generate", 0, "print a greedy continuation of N tokens")
	devName := fs.String("device", "", "cpu or cuda (default: $ATTNVIZ_DEVICE, else cpu)")
	quiet := fs.Bool("q", false, "no progress or summary messages on stderr")
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
		fmt.Fprintf(stderr, "attnviz model: "+format+"\n", a...)
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
		start := m.Tokenize(*prompt)
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

	prog.start = time.Now()
	r := m.Run(*prompt)
	prog.done()
	if err := r.Err(); err != nil {
		return fail(1, "%v", err)
	}
	c := m.Config()
	switch ext {
	case "":
		if r.Logits == nil {
			fmt.Fprintf(stdout, "%s\n%d tokens: %s\n(a %s model encodes text and has no next token)\n", c, len(r.Tokens), modelQuote(r.Tokens), c.Arch)
		} else {
			fmt.Fprintf(stdout, "%s\n%d tokens: %s\nnext token: %q\n", c, len(r.Tokens), modelQuote(r.Tokens), r.Next())
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
		fmt.Fprintf(stderr, "wrote %s (%d tokens, %d layers × %d heads)\n", f.out, len(r.Tokens), c.Layers, c.Heads)
	}
	return 0
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
		at := func(v int) int { return max(v, 0) }
		switch view {
		case "heatmap", "strip":
			f.title = fmt.Sprintf("%s: layer %d, head %d", name, at(f.layer), at(f.head))
		case "stats":
			f.title = name + ": what each head attends to"
		case "rollout":
			f.title = name + ": attention rollout"
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
	if err := fig.Err(); err != nil {
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
