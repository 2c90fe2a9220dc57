package viz

import (
	"os"
	"testing"
)

func TestLook(t *testing.T) {
	dir := os.Getenv("LOOK")
	if dir == "" {
		t.Skip("set LOOK=dir")
	}
	for _, n := range []int{4, 12, 64, 512} {
		f := Heatmap(DemoAttention(n), Tokens(DemoTokens(n), DemoTokens(n)), Highlight(n/2))
		if f.Err() != nil {
			t.Fatal(f.Err())
		}
		os.WriteFile(dir+"/heat"+itoa(n)+".png", f.PNG(), 0o644)
		t.Log(n, f.String(), f.Warnings())
	}
}

func itoa(n int) string { return string(rune('0'+n/100%10)) + string(rune('0'+n/10%10)) + string(rune('0'+n%10)) }

func TestSize1024(t *testing.T) {
	f := Heatmap(DemoAttention(1024), Tokens(DemoTokens(1024), DemoTokens(1024)))
	t.Log(f.String(), len(f.PNG()))
}

func TestLookGrid(t *testing.T) {
	dir := os.Getenv("LOOK")
	if dir == "" {
		t.Skip("set LOOK=dir")
	}
	f := Grid(DemoStack(12, 12, 64))
	os.WriteFile(dir+"/grid.png", f.PNG(), 0o644)
	f = Grid(DemoStack(2, 4, 6), SharedScale(true))
	os.WriteFile(dir+"/grid2.png", f.PNG(), 0o644)
	t.Log(f, f.Err())
}
