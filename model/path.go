package model

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
)

// LessonModelFile is the file name of the lesson model: Andrej Karpathy's
// stories260K (MIT) in the GGUF conversion of llama_cpp_canister (MIT).
const LessonModelFile = "stories260Ktok512.gguf"

// LessonModelURL is where `make model` downloads the lesson model from.
const LessonModelURL = "https://raw.githubusercontent.com/onicai/llama_cpp_canister/main/models/stories260Ktok512.gguf"

// CacheDir is the folder `make model` puts the lesson model in, and the
// first place DefaultPath looks: os.UserCacheDir()/attnviz/models
// (~/.cache/attnviz/models on Linux, ~/Library/Caches/attnviz/models on
// macOS). It is "" when the system has no cache folder (no $HOME).
func CacheDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "attnviz", "models")
}

// DefaultPath returns where the lesson model is, looking from any folder:
// $ATTNVIZ_MODEL if set; else the first of CacheDir(), then models/ and
// ../shared/models/ of the attnviz checkout the working directory is in,
// then models/, ../models/, ../shared/models/ and ../../shared/models/
// relative to the working directory, that holds stories260Ktok512.gguf.
// When none does it returns the path in CacheDir(), and Load's error then
// lists the places looked in and says to run `make model`.
//
//	m := model.MustLoad(model.DefaultPath())
func DefaultPath() string {
	p, _ := FindLessonModel()
	return p
}

// FindLessonModel is DefaultPath with an error when the lesson model is in
// none of the places, saying where it looked and how to get it.
func FindLessonModel() (string, error) {
	if p := os.Getenv("ATTNVIZ_MODEL"); p != "" {
		if st, err := os.Stat(p); err != nil || st.IsDir() {
			return p, missingLessonModel()
		}
		return p, nil
	}
	places := LessonModelPlaces()
	for _, dir := range places {
		p := filepath.Join(dir, LessonModelFile)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	if len(places) == 0 {
		return LessonModelFile, missingLessonModel()
	}
	return filepath.Join(places[0], LessonModelFile), missingLessonModel()
}

// LessonModelPlaces lists the folders DefaultPath looks in after
// $ATTNVIZ_MODEL, in order, without repeats.
func LessonModelPlaces() []string {
	var dirs []string
	seen := map[string]bool{}
	add := func(d string) {
		if d == "" {
			return
		}
		if abs, err := filepath.Abs(d); err == nil {
			d = abs
		}
		if !seen[d] {
			seen[d] = true
			dirs = append(dirs, d)
		}
	}
	add(CacheDir())
	if root := moduleRoot(); root != "" {
		add(filepath.Join(root, "models"))
		add(filepath.Join(root, "..", "shared", "models"))
	}
	for _, d := range []string{"models", "../models", "../shared/models", "../../shared/models"} {
		add(d)
	}
	return dirs
}

// moduleRoot returns the attnviz checkout that holds the working directory
// (the folder whose go.mod declares github.com/attnviz/attnviz), or "".
func moduleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module github.com/attnviz/attnviz\n")) {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			return ""
		}
		dir = up
	}
}

// missingLessonModel says where the lesson model was looked for and how to get it.
func missingLessonModel() error {
	return errors.New(lessonModelHelp())
}

func lessonModelHelp() string {
	var b strings.Builder
	b.WriteString("the lesson model " + LessonModelFile + " was looked for in ")
	if p := os.Getenv("ATTNVIZ_MODEL"); p != "" {
		b.WriteString("$ATTNVIZ_MODEL=" + p + " (not there)")
	} else {
		b.WriteString("$ATTNVIZ_MODEL (not set), " + strings.Join(LessonModelPlaces(), ", "))
	}
	b.WriteString("; run `make model` in the attnviz folder (it puts it in ")
	if c := CacheDir(); c != "" {
		b.WriteString(c)
	} else {
		b.WriteString("models/")
	}
	b.WriteString("), or download " + LessonModelURL + " and set ATTNVIZ_MODEL to its path")
	return b.String()
}

// InductionModelFile is the file name of the project's induction model
// (notebooks/data/, lesson 7; scripts/train_induction.py).
const InductionModelFile = "induction.gguf"

// notFoundHint is what the readers add to "no such file" for path: for the
// lesson model, where it was looked for and how to get it; else advice, then
// how to find the lesson model.
func notFoundHint(path, advice string) string {
	if filepath.Base(path) == LessonModelFile {
		return lessonModelHelp()
	}
	if filepath.Base(path) == InductionModelFile {
		return "the induction model of lesson 7 ships with attnviz in notebooks/data/" + InductionModelFile +
			": open the lesson from notebooks/ (or teacher/), or give that path; `make induction-model` rebuilds it"
	}
	return advice + " (`make model` gets the lesson model, " + LessonModelFile + ")"
}
