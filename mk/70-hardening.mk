# hardening: bad-input table and fuzzing
#   make bad-inputs   run the bad-input table (hardening/) and regenerate docs/bad-inputs.md
#   make fuzz-short   every fuzz target for 10 s (CI); inputs that fail are saved under
#                     <pkg>/testdata/fuzz/<FuzzName>/ — commit them, they become regression tests
#   make fuzz         same as fuzz-short
#   make fuzz-long    every fuzz target for 10 min, one at a time (about an hour)
.PHONY: bad-inputs fuzz fuzz-short fuzz-long
FUZZ_TARGETS := tensor:FuzzReadNPY tensor:FuzzReadNPZ tensor:FuzzReadSafetensors \
	model:FuzzReadGGUF model:FuzzTokenizer model:FuzzTokenizerJSON model:FuzzHFConfig model:FuzzBPE viz:FuzzFigures

bad-inputs:
	$(GO) test ./hardening -update

fuzz: fuzz-short

fuzz-short:
	$(call run-fuzz,10s,$(FUZZ_TARGETS))

fuzz-long:
	$(call run-fuzz,10m,$(FUZZ_TARGETS))
