# Kernel, lessons, handouts, lab
#   make kernel      build the Go kernel with attnviz compiled in, install kernel.json (kernel/build.sh)
#   make lab         install what is missing, build the kernel, open the lessons (LAB_PORT: first port tried, 8888)
#   make notebooks   regenerate notebooks/*.ipynb from their sources notebooks/src/*.md
#   make handouts    execute every lesson, write out/*.student.html, *.teacher.html (+ .pdf with chromium)
#   make coldstart   time from kernel start to the first figure
#   make kernel-messages  run the Go mistakes of docs/kernel-messages.md in the kernel, rewrite the table
.PHONY: kernel lab notebooks handouts coldstart kernel-messages

kernel:
	bash kernel/build.sh

lab:
	bash scripts/setup-lab.sh

notebooks:
	$(PY) scripts/make_notebooks.py

handouts: kernel
	$(PY) scripts/handouts.py --out out

coldstart: kernel
	$(PY) kernel/coldstart.py

kernel-messages: kernel
	$(GO) test ./notebooks -count=1 -run '^TestKernelMessages$$' -update

# The notebook tests need the kernel; without Jupyter they skip (and say so).
test-setup::
	@if command -v jupyter >/dev/null 2>&1; then bash kernel/build.sh; \
	else echo "test-setup: jupyter not installed, not building the kernel (notebook tests will skip; scripts/setup-deps.sh installs it)"; fi

bench:: coldstart
