# model file formats
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

# make model-quant-ref   regenerate model/testdata/quant_ref.json (random blocks of
#                        every quantized type through the numpy dequantizer of
#                        scripts/torch_arch_ref.py; Debian python3-numpy python3-torch)
.PHONY: model-quant-ref
model-quant-ref:
	$(PY) scripts/quant_ref.py > model/testdata/quant_ref.json
