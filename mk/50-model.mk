# model
#   make model        put the lesson model stories260Ktok512.gguf (1.2 MB) in the user cache folder
#                     (~/.cache/attnviz/models on Linux), from ../shared/models or downloaded
#   make model-ref    regenerate model/testdata/ref_stories260K.json with PyTorch
#                     (scripts/torch_model_ref.py: its own GGUF reader, float64)
#   make model-arch-ref  regenerate model/testdata/ref_arch.json: the random-weight
#                     llama/qwen2/gpt2/bert test models (model/archfiles_test.go)
#                     run by scripts/torch_arch_ref.py (own reader, tokenizers, float64)
#   make bench-model  forward pass + attention capture for 128 tokens (CPU), beside
#                     the same forward pass in PyTorch (scripts/bench_model.py),
#                     with the allocations per forward (-benchmem); goal ≤ 3 ms
# Tests read the model where model.DefaultPath() finds it ($ATTNVIZ_MODEL, the cache folder,
# models/, ../shared/models/) and skip with a message when it is nowhere.
.PHONY: model model-ref model-arch-ref bench-model
MODEL_URL ?= https://raw.githubusercontent.com/onicai/llama_cpp_canister/main/models/stories260Ktok512.gguf
MODEL_SHA256 ?= 047bf46455a544931cff6fef14d7910154c56afbc23ab1c5e56a72e69912c04b

# Into the user's cache folder (model.CacheDir: os.UserCacheDir()/attnviz/models), copied from
# ../shared/models when it is there, else downloaded; checked by sha256 (scripts/get-model.sh).
model:
	@MODEL_URL="$(MODEL_URL)" MODEL_SHA256="$(MODEL_SHA256)" bash scripts/get-model.sh

model-ref:
	$(call need-py,torch numpy,PyTorch,python3-torch python3-numpy)
	$(PY) scripts/torch_model_ref.py "$$($(GO) run ./cmd/attnviz model -where)" model/testdata/ref_stories260K.json

ARCH_DIR ?= $(or $(TMPDIR),/tmp)/attnviz-arch-models
model-arch-ref:
	$(call need-py,torch numpy,PyTorch,python3-torch python3-numpy)
	$(GO) test -count=1 -run '^TestWriteArchModels$$' ./model/ -args -write-arch-models $(ARCH_DIR)
	$(PY) scripts/torch_arch_ref.py $(ARCH_DIR) model/testdata/ref_arch.json

bench:: bench-model

bench-model:
	$(call need-py,torch,PyTorch,python3-torch python3-numpy)
	$(call go-test-peer,model,$(BENCH_DIR)/model.test,bench_model.py)

# make bench-gpt2: GPT-2 small (random weights) forward + attention capture at
# 256 tokens, attnviz vs PyTorch alternately, medians
# (scripts/bench_gpt2.py); the Q8_0 load RSS is bench-model-load.
.PHONY: bench-gpt2
bench:: bench-gpt2
bench-gpt2:
	$(call need-py,torch,PyTorch,python3-torch python3-numpy libopenblas0-pthread)
	$(call go-test-peer,model,$(BENCH_DIR)/model.test,bench_gpt2.py)

# make induction-model: train notebooks/data/induction.gguf again — the
# 2-layer attention-only model with induction heads of lesson 7 and
# model/induction_test.go (scripts/train_induction.py: Debian PyTorch, CPU,
# one thread, seeded; about 2 minutes; the same bytes on every run).
.PHONY: induction-model
induction-model:
	$(call need-py,torch,PyTorch,python3-torch)
	$(PY) scripts/train_induction.py notebooks/data/induction.gguf
