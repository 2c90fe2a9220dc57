# files: .npy / .npz / safetensors
#   make files-ref    regenerate tensor/testdata/files from numpy and torch
#                     (scripts/make_files.py; Debian python3-numpy python3-torch)
#   make user-files   regenerate tensor/testdata/user: files as NumPy/PyTorch users write them
#                     (np.savez with a tokens array, torch.save, scripts/attnviz_export.py)
#   make fuzz-files   run the three reader fuzz targets, FUZZTIME each (default 10s);
#                     inputs that fail are saved under tensor/testdata/fuzz/ — commit them
.PHONY: files-ref user-files fuzz-files
FUZZTIME ?= 10s

files-ref:
	@$(PY) -c 'import torch, numpy' 2>/dev/null || { echo "files-ref: needs apt-get install -y python3-torch python3-numpy"; exit 1; }
	$(PY) scripts/make_files.py

user-files:
	@$(PY) -c 'import torch, numpy' 2>/dev/null || { echo "user-files: needs apt-get install -y python3-torch python3-numpy"; exit 1; }
	$(PY) scripts/make_user_files.py

fuzz-files:
	$(call run-fuzz,$(FUZZTIME),tensor:FuzzReadNPY tensor:FuzzReadNPZ tensor:FuzzReadSafetensors)
