# model
#   make model        download the lesson model stories260Ktok512.gguf (1.2 MB) into models/
#   make model-ref    regenerate model/testdata/ref_stories260K.json with PyTorch
#                     (scripts/torch_model_ref.py: its own GGUF reader, float64)
#   make model-arch-ref  regenerate model/testdata/ref_arch.json: the random-weight
#                     llama/qwen2/gpt2/bert test models (model/archfiles_test.go)
#                     run by scripts/torch_arch_ref.py (own reader, tokenizers, float64)
#   make bench-model  forward pass + attention capture for 128 tokens (CPU), beside
#                     the same forward pass in PyTorch (scripts/bench_model.py),
#                     with the allocations per forward (-benchmem); goal ≤ 3 ms
# Tests read the model from ../shared/models/ (CI) or models/ (after `make model`)
# and skip with a message when neither has it.
.PHONY: model model-ref model-arch-ref bench-model
MODEL_URL ?= https://raw.githubusercontent.com/onicai/llama_cpp_canister/main/models/stories260Ktok512.gguf
MODEL_SHA256 ?= 047bf46455a544931cff6fef14d7910154c56afbc23ab1c5e56a72e69912c04b
MODEL_FILE ?= models/stories260Ktok512.gguf

model:
	@if [ ! -f $(MODEL_FILE) ] && [ -f ../shared/models/$(notdir $(MODEL_FILE)) ]; then \
	  echo "model: ../shared/models/$(notdir $(MODEL_FILE)) is there already; the tests and lessons use it"; \
	else $(MAKE) --no-print-directory $(MODEL_FILE); fi

$(MODEL_FILE):
	@mkdir -p $(dir $@)
	@echo "model: downloading $(MODEL_URL)"
	@curl -fsSL --retry 2 --connect-timeout 15 -o $@.part "$(MODEL_URL)" || { \
	  rm -f $@.part; \
	  echo "model: download failed (offline?). Fetch $(MODEL_URL)"; \
	  echo "       by hand and save it as $@ (or in ../shared/models/)."; exit 1; }
	@if command -v sha256sum >/dev/null; then \
	  echo "$(MODEL_SHA256)  $@.part" | sha256sum -c --quiet - || { \
	    rm -f $@.part; echo "model: checksum mismatch for $(MODEL_URL); not installed"; exit 1; }; fi
	@mv $@.part $@
	@echo "model: $@ ready (stories260K by Andrej Karpathy, MIT; GGUF by llama_cpp_canister, MIT)"

model-ref:
	@$(PY) -c 'import torch, numpy' 2>/dev/null || { echo "model-ref: PyTorch missing: apt-get install -y python3-torch python3-numpy"; exit 1; }
	$(PY) scripts/torch_model_ref.py $(firstword $(wildcard ../shared/models/stories260Ktok512.gguf $(MODEL_FILE)) $(MODEL_FILE)) model/testdata/ref_stories260K.json

ARCH_DIR ?= $(or $(TMPDIR),/tmp)/attnviz-arch-models
model-arch-ref:
	@$(PY) -c 'import torch, numpy' 2>/dev/null || { echo "model-arch-ref: PyTorch missing: apt-get install -y python3-torch python3-numpy"; exit 1; }
	$(GO) test -count=1 -run '^TestWriteArchModels$$' ./model/ -args -write-arch-models $(ARCH_DIR)
	$(PY) scripts/torch_arch_ref.py $(ARCH_DIR) model/testdata/ref_arch.json

bench:: bench-model

bench-model:
	@$(PY) -c 'import torch' 2>/dev/null || { echo "bench-model: PyTorch missing: apt-get install -y python3-torch python3-numpy"; exit 1; }
	@mkdir -p $(BENCH_DIR)
	$(GO) test -c -o $(BENCH_DIR)/model.test ./model/
	$(PEER_ENV) $(PY) scripts/bench_model.py --go-test $(BENCH_DIR)/model.test

# make bench-gpt2: GPT-2 small (random weights) forward + attention capture at
# 256 tokens, attnviz vs PyTorch alternately, medians
# (scripts/bench_gpt2.py); the Q8_0 load RSS is bench-model-load.
.PHONY: bench-gpt2
bench:: bench-gpt2
bench-gpt2:
	@$(PY) -c 'import torch' 2>/dev/null || { echo "bench-gpt2: PyTorch missing: apt-get install -y python3-torch python3-numpy libopenblas0-pthread"; exit 1; }
	@mkdir -p $(BENCH_DIR)
	$(GO) test -c -o $(BENCH_DIR)/model.test ./model/
	$(PEER_ENV) $(PY) scripts/bench_gpt2.py --go-test $(BENCH_DIR)/model.test

# make induction-model: retrain notebooks/data/induction.gguf, the 2-layer
# attention-only model with an induction head that lesson 7 and
# model/induction_test.go use (scripts/train_induction.py; Debian PyTorch,
# CPU, seeded; about a minute on an idle core).
.PHONY: induction-model
induction-model:
	@$(PY) -c 'import torch' 2>/dev/null || { echo "induction-model: PyTorch missing: apt-get install -y python3-torch"; exit 1; }
	$(PY) scripts/train_induction.py notebooks/data/induction.gguf
