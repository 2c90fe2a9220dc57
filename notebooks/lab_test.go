package notebooks

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLabBusyPort runs `make lab`'s script (scripts/setup-lab.sh --check-start: it starts
// Jupyter, waits until the URL it prints opens the lessons' page, and stops) with the port
// LAB_PORT names already taken: the lab must take the next free port, say so, and print
// one URL — with the token, on the port it really uses.
func TestLabBusyPort(t *testing.T) {
	needKernel(t)
	busy, next := busyPortWithFreeNext(t)
	defer busy.Close()
	busyPort := busy.Addr().(*net.TCPAddr).Port

	out, err := runLab(t, busyPort)
	if err != nil {
		t.Fatalf("setup-lab.sh --check-start with port %d busy: %v\n%s", busyPort, err, out)
	}
	if want := fmt.Sprintf("port %d is in use", busyPort); !strings.Contains(out, want) {
		t.Errorf("want the lab to say %q, got:\n%s", want, out)
	}
	urls := regexp.MustCompile(`https?://\S+`).FindAllString(out, -1)
	if len(urls) != 1 {
		t.Fatalf("want exactly one URL printed, got %d %q:\n%s", len(urls), urls, out)
	}
	want := regexp.MustCompile(`^http://localhost:` + strconv.Itoa(next) + `/tree\?token=[0-9a-f]{48}$`)
	if !want.MatchString(urls[0]) {
		t.Errorf("want the URL http://localhost:%d/tree?token=…, got %q", next, urls[0])
	}
	if !strings.Contains(out, "the page at that URL opened") {
		t.Errorf("the script did not see the page open at its URL:\n%s", out)
	}
}

// TestLabNoFreePort: when every port the lab tries is taken it stops with a message saying
// what to do, and starts nothing.
func TestLabNoFreePort(t *testing.T) {
	needKernel(t)
	// The last port there is: the lab tries it alone, so one listener fills the range.
	l, err := net.Listen("tcp", "127.0.0.1:65535")
	if err != nil {
		t.Skipf("cannot occupy port 65535 for the test: %v", err)
	}
	defer l.Close()
	out, err := runLab(t, 65535)
	if err == nil {
		t.Fatalf("want a failure with every port busy, got success:\n%s", out)
	}
	for _, want := range []string{"ports 65535 to 65535 are all in use", "LAB_PORT=9000 make lab"} {
		if !strings.Contains(out, want) {
			t.Errorf("want %q in the message, got:\n%s", want, out)
		}
	}
	if strings.Contains(out, "http://") {
		t.Errorf("no URL must be printed when nothing started:\n%s", out)
	}
}

func runLab(t *testing.T, port int) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join("scripts", "setup-lab.sh"), "--check-start")
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), "LAB_PORT="+strconv.Itoa(port), "LAB_IP=127.0.0.1", "JUPYTER_TOKEN=")
	b, err := cmd.CombinedOutput()
	return string(b), err
}

// busyPortWithFreeNext listens on a port whose successor is free, and returns both.
func busyPortWithFreeNext(t *testing.T) (net.Listener, int) {
	t.Helper()
	for i := 0; i < 50; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		next := l.Addr().(*net.TCPAddr).Port + 1
		if n, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", next)); err == nil {
			n.Close()
			return l, next
		}
		l.Close()
	}
	t.Fatal("found no free pair of ports")
	return nil, 0
}
