package tensor

import (
	"archive/zip"
	"io"
	"path"
	"path/filepath"
	"strings"
)

// Files in formats the readers do not take, recognised so that the message
// says what the file is and how to convert it — above all PyTorch's
// torch.save, which writes a zip archive (archive/data.pkl, archive/data/0,
// archive/version, …) that looks like an .npz from the outside.

// torchConvert is one line of Python that turns a torch.save file (a tensor,
// a dict of tensors, or a tuple/list of same-shaped tensors such as a Hugging
// Face model's outputs.attentions, stacked to [layers, batch, heads, T, T])
// into an .npz that attnviz reads.
func torchConvert(file string) string {
	src, dst := "att.pt", "att.npz"
	if file != "" && !strings.ContainsAny(file, "'\"\\$`\n") {
		src = file
		dst = strings.TrimSuffix(file, filepath.Ext(file)) + ".npz"
		if dst == src {
			dst = strings.TrimSuffix(file, filepath.Ext(file)) + "-arrays.npz"
		}
	}
	return `python3 -c "import torch, numpy as np; x = torch.load('` + src + `', map_location='cpu'); ` +
		`x = torch.stack(list(x)) if isinstance(x, (tuple, list)) else x; ` +
		`x = x if isinstance(x, dict) else {'attention': x}; ` +
		`np.savez('` + dst + `', **{k: v.detach().float().numpy() for k, v in x.items() if torch.is_tensor(v)})"` +
		` (then read ` + dst + `)`
}

// torchError is the error for a torch.save file.
func torchError(prefix, file string, legacy bool) error {
	what := "a PyTorch file (torch.save writes a zip of data.pkl and data/…)"
	if legacy {
		what = "a Python pickle (torch.save in its old format, or pickle.dump)"
	}
	return Errorf(ErrFormat, "%s: this is %s, which attnviz does not read (unpickling runs code); convert it with one line of Python: %s", prefix, what, torchConvert(file))
}

// isTorchZip reports whether a zip archive has PyTorch's layout: a data.pkl
// at its top or in its one folder.
func isTorchZip(zr *zip.Reader) bool {
	for _, f := range zr.File {
		if path.Base(f.Name) == "data.pkl" && strings.Count(strings.Trim(f.Name, "/"), "/") <= 1 {
			return true
		}
	}
	return false
}

// isPickle reports whether b starts like a pickle of protocol 2 to 5.
func isPickle(b []byte) bool {
	return len(b) >= 2 && b[0] == 0x80 && b[1] >= 2 && b[1] <= 5
}

// sniff names the format of a file that is not the one a reader wanted
// ("npy", "npz" or "safetensors"), with what to do; nil when it is none it
// recognises (the readers themselves name each other's formats). r holds the file (size bytes); file is its name, for the
// conversion line.
func sniff(r io.ReaderAt, size int64, file, want string) error {
	var head [8]byte
	k, _ := r.ReadAt(head[:], 0)
	b := head[:k]
	prefix := want
	switch {
	case len(b) >= 4 && (string(b[:4]) == "PK\x03\x04" || string(b[:4]) == "PK\x05\x06"):
		zr, err := zip.NewReader(r, size)
		if err != nil {
			return nil
		}
		if isTorchZip(zr) {
			return torchError(prefix, file, false)
		}
		if want != "npz" {
			for _, f := range zr.File {
				if strings.HasSuffix(f.Name, ".npy") {
					return Errorf(ErrFormat, "%s: this is an .npz archive of NumPy arrays; read it with LoadNPZ", prefix)
				}
			}
		}
	case isPickle(b):
		return torchError(prefix, file, true)
	case len(b) >= 4 && string(b[:4]) == "GGUF":
		return Errorf(ErrFormat, "%s: this is a GGUF model file; load it with model.Load (or attnviz model -m %s)", prefix, file)
	}
	return nil
}
