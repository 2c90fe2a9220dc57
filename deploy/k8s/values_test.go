// Package k8s holds the Zero to JupyterHub values for a class (values.yaml) and their test:
// they are validated as helm validates them, against the chart's own values.schema.json
// (testdata/z2jh-2.0.0, see SOURCE.md there), by validate_values.py with Debian's
// python3-jsonschema and python3-yaml.
package k8s

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const python = "/usr/bin/python3"

func needValidator(t *testing.T) {
	t.Helper()
	if out, err := exec.Command(python, "-c", "import jsonschema, yaml").CombinedOutput(); err != nil {
		t.Skipf("%s cannot import jsonschema and yaml (apt-get install -y python3-jsonschema python3-yaml; scripts/setup-deps.sh --test does): %v %s", python, err, out)
	}
}

// validate runs validate_values.py once on every file (python and jsonschema take a second to
// start) and returns each file's errors.
func validate(t *testing.T, files ...string) map[string][]string {
	t.Helper()
	out, err := exec.Command(python, append([]string{"validate_values.py"}, files...)...).Output()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatal(err)
		}
	}
	got := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line == "" {
			continue
		}
		f, msg := files[0], line
		if len(files) > 1 {
			var ok bool
			if f, msg, ok = strings.Cut(line, ": "); !ok {
				t.Fatalf("validate_values.py: unexpected line %q", line)
			}
		}
		got[f] = append(got[f], msg)
	}
	return got
}

// TestValuesAgainstChartSchema: our values merged over the chart's defaults pass the chart's
// schema, and the validator is real: each careless edit gets exactly the chart's message.
func TestValuesAgainstChartSchema(t *testing.T) {
	needValidator(t)
	src, err := os.ReadFile("values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, from, to, want string
	}{
		{"misspelt key", "\n  memory:\n", "\n  memroy:\n",
			"singleuser: Additional properties are not allowed ('memroy' was unexpected)"},
		{"misspelt section", "\nsingleuser:\n", "\nsingleusr:\n",
			"(top): Additional properties are not allowed ('singleusr' was unexpected)"},
		{"words for a number", "\n  timeout: 3600\n", "\n  timeout: an hour\n",
			"cull/timeout: 'an hour' is not of type 'integer', 'null'"},
		{"quoted count", "\n    replicas: 30\n", "\n    replicas: \"30\"\n",
			"scheduling/userPlaceholder/replicas: '30' is not of type 'integer'"},
		{"fractional uid", "\n  uid: 1000\n", "\n  uid: 1000.5\n",
			"singleuser/uid: 1000.5 is not of type 'integer', 'null'"},
		{"not a mapping", "", "", "(top): not a YAML mapping"},
	}
	dir := t.TempDir()
	files := []string{"values.yaml"}
	for _, c := range cases {
		text := "- just\n- a list\n"
		if c.from != "" {
			if !strings.Contains(string(src), c.from) {
				t.Fatalf("%s: values.yaml no longer contains %q: update the case", c.name, c.from)
			}
			text = strings.Replace(string(src), c.from, c.to, 1)
		}
		f := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".yaml")
		if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	got := validate(t, files...)
	if errs := got["values.yaml"]; len(errs) > 0 {
		t.Errorf("values.yaml does not validate against the chart's schema:\n%s", strings.Join(errs, "\n"))
	}
	for i, c := range cases {
		errs := got[files[i+1]]
		if len(errs) != 1 || errs[0] != c.want {
			t.Errorf("%s: got %q, want exactly one error: %s", c.name, errs, c.want)
		}
	}
}

// TestValuesMatchImageAndHub: the values agree with the image (user, port-free command, lesson
// folder) and with the one-machine hub (memory limit), and reserve no more than they allow.
func TestValuesMatchImageAndHub(t *testing.T) {
	needValidator(t)
	out, err := exec.Command(python, "validate_values.py", "--json", "values.yaml").Output()
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Singleuser struct {
			Image      struct{ Name, Tag string }
			Cmd        string
			DefaultURL string `json:"defaultUrl"`
			UID        int
			FsGid      int `json:"fsGid"`
			Memory     struct{ Guarantee, Limit string }
			CPU        struct{ Guarantee, Limit float64 }
		}
		Cull struct {
			Enabled bool
			Timeout int
		}
		PrePuller struct {
			Hook, Continuous struct{ Enabled bool }
		} `json:"prePuller"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatal(err)
	}
	su := v.Singleuser
	docker, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^USER 1000:100$`).Match(docker) || su.UID != 1000 || su.FsGid != 100 {
		t.Errorf("singleuser uid/fsGid %d/%d, want the image's USER 1000:100", su.UID, su.FsGid)
	}
	if su.Cmd != "attnviz-singleuser" || su.DefaultURL != "/tree/lessons" {
		t.Errorf("cmd %q defaultUrl %q: want attnviz-singleuser (the image's entry point runs it) and /tree/lessons", su.Cmd, su.DefaultURL)
	}
	if su.Image.Tag == "" || su.Image.Tag == "latest" {
		t.Errorf("image tag %q: pin a tag", su.Image.Tag)
	}
	hub, err := os.ReadFile("../jupyterhub_config.py")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`"ATTNVIZ_MEM_LIMIT", "([0-9]+[KMG])"`).FindSubmatch(hub)
	if m == nil || string(m[1]) != su.Memory.Limit {
		t.Errorf("memory limit %q, the one-machine hub's %q: keep them the same (both from make bench-hub)", su.Memory.Limit, m)
	}
	if bytes(t, su.Memory.Guarantee) > bytes(t, su.Memory.Limit) || su.CPU.Guarantee > su.CPU.Limit {
		t.Errorf("guarantees above limits: memory %s/%s cpu %g/%g", su.Memory.Guarantee, su.Memory.Limit, su.CPU.Guarantee, su.CPU.Limit)
	}
	if !v.Cull.Enabled || v.Cull.Timeout <= 0 || !v.PrePuller.Hook.Enabled || !v.PrePuller.Continuous.Enabled {
		t.Errorf("culling %+v, pre-pulling %+v: both wanted for a class", v.Cull, v.PrePuller)
	}
}

func bytes(t *testing.T, s string) int64 {
	t.Helper()
	m := regexp.MustCompile(`^([0-9]+)([KMG])$`).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("memory size %q: want a number and K, M or G", s)
	}
	var n int64
	for _, c := range m[1] {
		n = n*10 + int64(c-'0')
	}
	return n << map[string]uint{"K": 10, "M": 20, "G": 30}[m[2]]
}
