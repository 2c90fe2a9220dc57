package viz

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestInteractiveNotebook6 shows three figures in Debian's classic Jupyter
// Notebook 6 (require.js on the page, outputs inserted by jQuery): the first
// output carries the ECharts script, the others only wait for it. It runs
// when jupyter-notebook and the browser tools are installed, else skips.
func TestInteractiveNotebook6(t *testing.T) {
	if testing.Short() {
		t.Skip("notebook test skipped with -short")
	}
	node, _ := browserReady(t)
	jup, err := exec.LookPath("jupyter-notebook")
	if err != nil {
		t.Skip("no jupyter-notebook (Debian package jupyter-notebook): classic Notebook test skipped")
	}
	dir := t.TempDir()
	var outputs []any
	for _, name := range []string{"fig-heatmap", "fig-explorer", "fig-strip"} {
		h := figureCases(t)[name].HTML()
		outputs = append(outputs, map[string]any{
			"output_type": "display_data", "metadata": map[string]any{},
			"data": map[string]any{"text/html": h, "text/plain": name},
		})
	}
	// Each figure in its own cell, as a lesson has them.
	var cells []any
	for i, o := range outputs {
		cells = append(cells, map[string]any{"cell_type": "code", "execution_count": i + 1, "metadata": map[string]any{},
			"source": fmt.Sprintf("fig%d", i), "outputs": []any{o}})
	}
	nb := map[string]any{"nbformat": 4, "nbformat_minor": 4, "cells": cells,
		"metadata": map[string]any{"kernelspec": map[string]any{"name": "python3", "display_name": "Python 3", "language": "python"}}}
	b, _ := json.Marshal(nb)
	if err := os.WriteFile(filepath.Join(dir, "figs.ipynb"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "JUPYTER_CONFIG_DIR="+filepath.Join(dir, "cfg"), "JUPYTER_DATA_DIR="+filepath.Join(dir, "data"),
		"JUPYTER_RUNTIME_DIR="+filepath.Join(dir, "run"), "HOME="+dir)
	trustNotebook(t, env, filepath.Join(dir, "figs.ipynb"))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	srv := exec.CommandContext(ctx, jup, "--no-browser", "--allow-root", fmt.Sprintf("--port=%d", port), "--ip=127.0.0.1",
		"--NotebookApp.token=attnviz", "--NotebookApp.notebook_dir="+dir, "--NotebookApp.disable_check_xsrf=True")
	srv.Env = env
	logf, _ := os.Create(filepath.Join(dir, "server.log"))
	srv.Stdout, srv.Stderr = logf, logf
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	up := false
	for i := 0; i < 100 && !up; i++ {
		if r, err := http.Get(base + "/api?token=attnviz"); err == nil {
			r.Body.Close()
			up = r.StatusCode == 200
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !up {
		log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		t.Fatalf("jupyter-notebook did not start:\n%s", log)
	}
	cmd := exec.CommandContext(ctx, node, filepath.Join(repoRoot(t), "web", "notebook.mjs"), base+"/notebooks/figs.ipynb?token=attnviz", "3")
	cmd.Dir = filepath.Join(repoRoot(t), "web")
	out, err := cmd.CombinedOutput()
	t.Logf("%s", strings.TrimSpace(string(out)))
	if err != nil {
		t.Errorf("classic Notebook: %v", err)
	}
}

// trustNotebook signs the notebook at path with the secret of the Jupyter
// configuration env names, as `jupyter trust` does (without needing the
// jupyter-trust entry point).
func trustNotebook(t *testing.T, env []string, path string) {
	t.Helper()
	trust := exec.Command("/usr/bin/python3", "-c", `import sys, nbformat
from nbformat.sign import NotebookNotary
nb = nbformat.read(sys.argv[1], as_version=4)
NotebookNotary().sign(nb)`, path)
	trust.Env = env
	if out, err := trust.CombinedOutput(); err != nil {
		t.Fatalf("jupyter trust %s: %v\n%s", path, err, out)
	}
}
