# The classroom: the lab image, JupyterHub for a class, Kubernetes values (README, "A class of 30,
# 300, 3000"; docs/teachers.md). All slow, all outside `make test` except the values check.
#   make image        build the lab image attnviz:latest with docker, podman or buildah (Dockerfile);
#                     builds local stand-ins for the base images where no registry is reachable
#   make image-test   run every lesson inside the image without network; user, size, the lab, a hub
#   make hub-test     a JupyterHub with deploy/'s class configuration: HUB_STUDENTS (40) students
#                     log in at once and run lesson 1; the memory limit and the idle culler
#   make bench-hub    the same for 1 (a student alone), 10, 20 and 40 students, then 10 and 40
#                     with the servers started before class: p50/p95 login -> first figure, memory
#                     and CPU seconds per student (part of make bench)
#   make k8s-values   check deploy/k8s/values.yaml against the Zero to JupyterHub chart's schema
.PHONY: image image-handouts image-test hub-deps hub-test bench-hub k8s-values
HUB_STUDENTS ?= 40
HUB_BENCH_STUDENTS ?= 1,10,20,40
HUB_BENCH_PRESTARTED ?= 10,40

image:
	bash scripts/image.sh

image-handouts:
	bash scripts/image.sh --target handouts

image-test:
	bash scripts/image-test.sh

hub-deps:
	@bash scripts/setup-deps.sh --hub
	@bash kernel/build.sh --no-install

hub-test: hub-deps
	$(PY) scripts/hub_test.py --students $(HUB_STUDENTS) --checks

bench:: bench-hub

bench-hub: hub-deps
	$(PY) scripts/hub_test.py --students $(HUB_BENCH_STUDENTS) --prestarted $(HUB_BENCH_PRESTARTED)

k8s-values:
	$(GO) test -count=1 -run 'TestValues' -v ./deploy/k8s/
