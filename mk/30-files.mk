# files: .npy / .npz / safetensors (owner: file-formats engineer)
#   make files-ref    regenerate tensor/testdata/files from numpy and torch
#                     (scripts/make_files.py; Debian python3-numpy python3-torch)
#   make fuzz-files   run the three reader fuzz targets, FUZZTIME each (default 10s);
#                     inputs that fail are saved under tensor/testdata/fuzz/ — commit them
.PHONY: files-ref fuzz-files
FUZZTIME ?= 10s

files-ref:
	@$(PY) -c 'import torch, numpy' 2>/dev/null || { echo "files-ref: needs apt-get install -y python3-torch python3-numpy"; exit 1; }
	$(PY) scripts/make_files.py

fuzz-files:
	@for t in FuzzReadNPY FuzzReadNPZ FuzzReadSafetensors; do \
	  echo "fuzz-files: $$t for $(FUZZTIME)"; \
	  $(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) -parallel 2 ./tensor/ || exit 1; \
	done
