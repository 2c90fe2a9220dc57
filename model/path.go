package model

import (
	"os"
	"path/filepath"
)

// LessonModelFile is the file name of the lesson model: Andrej Karpathy's
// stories260K (MIT) in the GGUF conversion of llama_cpp_canister (MIT).
const LessonModelFile = "stories260Ktok512.gguf"

// LessonModelURL is where `make model` downloads the lesson model from.
const LessonModelURL = "https://raw.githubusercontent.com/onicai/llama_cpp_canister/main/models/stories260Ktok512.gguf"

// DefaultPath returns where the lesson model is: $ATTNVIZ_MODEL if set,
// else the first of models/, ../models/, ../shared/models/ and
// ../../shared/models/ (relative to the working directory, so it works from
// the repo root and from notebooks/) that holds stories260Ktok512.gguf. When
// none does it returns models/stories260Ktok512.gguf, and Load's error then
// says to run `make model`.
//
//	m := model.MustLoad(model.DefaultPath())
func DefaultPath() string {
	if p := os.Getenv("ATTNVIZ_MODEL"); p != "" {
		return p
	}
	for _, dir := range []string{"models", "../models", "../shared/models", "../../shared/models"} {
		p := filepath.Join(dir, LessonModelFile)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
	}
	return filepath.Join("models", LessonModelFile)
}
