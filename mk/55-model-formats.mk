# model file formats (owner: formats engineer)
#   make bench-model-load   load time and peak RSS of a GPT-2-small-shaped Q8_0
#                           GGUF with random weights vs its F32 size (≤ 1.5×)
#   make model-pretok-ref   regenerate model/testdata/pretok_ref.json (Python re
#                           on llama.cpp's pre-tokenizer regexes)
.PHONY: bench-model-load model-pretok-ref

bench:: bench-model-load

bench-model-load:
	GO=$(GO) sh scripts/bench_load.sh

model-pretok-ref:
	$(PY) scripts/pretok_ref.py > model/testdata/pretok_ref.json
