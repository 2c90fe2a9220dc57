package notebooks

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
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

// TestLabImageStartURL runs the lab image's entry point (scripts/attnviz-start.sh, what `docker
// run -p 8888:8888 attnviz` runs) outside a container: it must print exactly one URL, with its
// token, once the server answers, and that URL must open the lessons' page. With LAB_HOST_PORT
// (`docker run -p 9000:8888 -e LAB_HOST_PORT=9000`) the URL names the host's port, which the
// container cannot see: the printed URL is then the host's, and with the port Jupyter listens
// on in its place it opens the page.
func TestLabImageStartURL(t *testing.T) {
	needKernel(t)
	for _, hostPort := range []string{"", "9000"} {
		name := "same port"
		if hostPort != "" {
			name = "LAB_HOST_PORT=" + hostPort
		}
		t.Run(name, func(t *testing.T) {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			port := l.Addr().(*net.TCPAddr).Port
			l.Close()
			home := t.TempDir()
			cmd := exec.Command("sh", filepath.Join(repoRoot(t), "scripts", "attnviz-start.sh"))
			cmd.Env = append(os.Environ(), "HOME="+home, "LAB_PORT="+strconv.Itoa(port), "LAB_IP=127.0.0.1",
				"LAB_HOST_PORT="+hostPort, "JUPYTER_TOKEN=", "JUPYTER_RUNTIME_DIR="+filepath.Join(home, "rt"))
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			var out syncBuffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() {
				syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
				done := make(chan error, 1)
				go func() { done <- cmd.Wait() }()
				select {
				case <-done:
				case <-time.After(20 * time.Second):
					syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
					<-done
				}
			}()
			deadline := time.Now().Add(3 * time.Minute)
			for !strings.Contains(out.String(), "Open this URL") && time.Now().Before(deadline) {
				time.Sleep(200 * time.Millisecond)
			}
			time.Sleep(2 * time.Second) // anything Jupyter would print after it
			text := out.String()
			urls := regexp.MustCompile(`https?://\S+`).FindAllString(text, -1)
			if len(urls) != 1 {
				t.Fatalf("want exactly one URL printed, got %d %q:\n%s", len(urls), urls, text)
			}
			shown := strconv.Itoa(port)
			if hostPort != "" {
				shown = hostPort
			}
			want := regexp.MustCompile(`^http://127\.0\.0\.1:` + shown + `/tree\?token=[0-9a-f]{48}$`)
			if !want.MatchString(urls[0]) {
				t.Fatalf("want the URL http://127.0.0.1:%s/tree?token=…, got %q", shown, urls[0])
			}
			inside := strings.Replace(urls[0], ":"+shown+"/", ":"+strconv.Itoa(port)+"/", 1)
			resp, err := http.Get(inside)
			if err != nil {
				t.Fatalf("GET %s: %v", inside, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(body), "01-attention-from-scratch") && !strings.Contains(string(body), "notebook") {
				t.Errorf("GET %s: %d, want the lessons' page", inside, resp.StatusCode)
			}
			if _, err := os.Stat(filepath.Join(home, "lessons", "01-attention-from-scratch.ipynb")); err != nil {
				t.Errorf("the lessons were not copied into the home: %v", err)
			}
			if _, err := os.Stat(filepath.Join(home, "lessons", "teacher")); err == nil {
				t.Errorf("the teacher's notebooks were copied to the student")
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe for a process's two pipes and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
