package main

import (
	"flag"
	"fmt"
	"html"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/attnviz/attnviz/internal/atomicfile"
	"github.com/attnviz/attnviz/internal/gallery"
	"github.com/attnviz/attnviz/viz"
)

func runDemo(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("attnviz demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("o", "", "directory to write the gallery to (created if needed)")
	theme := fs.String("theme", "light", "light or dark")
	formats := fs.String("formats", "png", "comma-separated formats to write: png, svg, pdf, html")
	pos, err := parseInterleaved(fs, args)
	if err == flag.ErrHelp {
		return 0
	}
	if err != nil {
		return 1
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "attnviz demo: unexpected argument %q; usage: attnviz demo -o DIR\n", pos[0])
		return 1
	}
	if *dir == "" {
		fmt.Fprintln(stderr, "attnviz demo: no output directory; usage: attnviz demo -o DIR")
		return 1
	}
	var opts []viz.Option
	switch *theme {
	case "light", "":
	case "dark":
		opts = append(opts, viz.Theme(viz.Dark))
	default:
		fmt.Fprintf(stderr, "attnviz demo: unknown theme %q; use light or dark\n", *theme)
		return 1
	}
	var exts []string
	for _, f := range strings.Split(*formats, ",") {
		f = strings.TrimSpace(strings.ToLower(f))
		switch f {
		case "png", "svg", "pdf", "html":
			exts = append(exts, "."+f)
		default:
			fmt.Fprintf(stderr, "attnviz demo: unknown format %q; use png, svg, pdf or html\n", f)
			return 1
		}
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		fmt.Fprintf(stderr, "attnviz demo: cannot create %s: %v\n", *dir, err)
		return 1
	}
	var index strings.Builder
	index.WriteString("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>attnviz gallery</title></head><body>\n<h1>attnviz gallery</h1>\n")
	for i, ex := range gallery.Figures(opts...) {
		if err := ex.Figure.Err(); err != nil {
			fmt.Fprintf(stderr, "attnviz demo: %s: %v\n", ex.Name, err)
			return 1
		}
		base := fmt.Sprintf("%02d-%s", i+1, ex.Name)
		for _, ext := range exts {
			p := filepath.Join(*dir, base+ext)
			if err := ex.Figure.Save(p); err != nil {
				fmt.Fprintf(stderr, "attnviz demo: %v\n", err)
				return 1
			}
		}
		fmt.Fprintf(&index, "<h2>%s</h2>\n<img src=\"%s.png\" alt=\"%s\"><br>\n", html.EscapeString(ex.Name), base, html.EscapeString(ex.Name))
		for _, w := range ex.Figure.Warnings() {
			fmt.Fprintf(&index, "<p>warning: %s</p>\n", html.EscapeString(w))
		}
	}
	index.WriteString("</body></html>\n")
	if slices.Contains(exts, ".png") {
		// Through a temporary file and a rename: never a half-written index.
		if err := atomicfile.WriteFile(filepath.Join(*dir, "index.html"), []byte(index.String())); err != nil {
			fmt.Fprintf(stderr, "attnviz demo: %v\n", err)
			return 1
		}
	}
	fmt.Fprintf(stdout, "wrote the gallery to %s\n", *dir)
	return 0
}
