# files: .npy / .npz / safetensors
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
	$(call run-fuzz,$(FUZZTIME),tensor:FuzzReadNPY tensor:FuzzReadNPZ tensor:FuzzReadSafetensors)
