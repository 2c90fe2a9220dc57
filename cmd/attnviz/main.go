// Command attnviz draws attention from files and models.
//
//	attnviz render [flags] -o OUT FILE   draw a .npy/.npz/.safetensors array
//	attnviz demo -o DIR                  a gallery of every view
//	attnviz model [flags]                run a model on a prompt (see attnviz model -h)
//
// OUT's format comes from its extension: .png, .svg, .pdf or .html. On bad
// input attnviz prints one short message and exits with status 1.
package main

import (
	"fmt"
	"io"
	"os"
)

const usage = `usage:
  attnviz render [flags] -o OUT FILE   draw a [T,T], [H,T,T] or [L,H,T,T] array from FILE
                                        (.npy, .npz, .safetensors) to OUT (.png .svg .pdf .html)
  attnviz demo -o DIR                   write a gallery of every view to DIR
  attnviz model [flags]                 run a small language model on a prompt and draw its attention
Run 'attnviz render -h' for the render flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the exit, for tests.
func run(args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "attnviz: internal error: %v (please report it)\n", r)
			code = 1
		}
	}()
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 1
	}
	switch args[0] {
	case "render":
		return runRender(args[1:], stdout, stderr)
	case "demo":
		return runDemo(args[1:], stdout, stderr)
	case "model":
		return runModel(args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "attnviz: unknown command %q\n%s", args[0], usage)
	return 1
}
