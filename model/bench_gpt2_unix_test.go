//go:build unix

package model

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/attnviz/attnviz/tensor"
)

// TestGPT2Q8Load writes (-gpt2-q8-write) or loads (-gpt2-q8-load) the Q8_0
// GPT-2-small file; loading reports this process's peak RSS.
func TestGPT2Q8Load(t *testing.T) {
	switch {
	case *gpt2Q8Make != "":
		n, err := writeGPT2Q8(*gpt2Q8Make)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Printf("f32_bytes %d\n", n)
	case *gpt2Q8Load != "":
		t0 := time.Now()
		m, err := Load(*gpt2Q8Load, Device(tensor.CPU))
		if err != nil {
			t.Fatal(err)
		}
		el := time.Since(t0)
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			t.Fatal(err)
		}
		fmt.Printf("load_seconds %.3f\npeak_rss_bytes %d\n", el.Seconds(), ru.Maxrss*1024)
		if r := m.RunIDs(gpt2IDs()[:8]); r.Err() != nil {
			t.Fatal(r.Err())
		}
	default:
		t.Skip("only with -gpt2-q8-write FILE or -gpt2-q8-load FILE (scripts/bench_gpt2.py)")
	}
}
