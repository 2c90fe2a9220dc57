# The attnviz lab image: Jupyter Notebook with the Go kernel, the lessons and the lesson model.
#
#   make image                                # builds attnviz:latest (docker, podman or buildah)
#   docker run --rm -p 8888:8888 attnviz      # then open the one URL it prints, http://127.0.0.1:8888/tree?token=...
#   (another host port: docker run --rm -p 9000:8888 -e LAB_HOST_PORT=9000 attnviz)
#
# The same image is a JupyterHub single-user image (jupyterhub-singleuser 3.0 inside; see
# deploy/ and docs/teachers.md): its entry point copies the lessons into the user's home, then
# runs the command it is given. It runs as jovyan (uid 1000, gid 100) and needs no network.
#
# Two stages: `build` compiles the kernel (golang image) and gathers the lesson model; `lab` is
# Debian slim with Debian's Jupyter packages and only what `build` installed under /opt/attnviz.
# `handouts` adds Chromium for PDF handouts (HTML handouts need nothing more than `lab`).
# scripts/image.sh passes stand-ins for the two base images where no registry is reachable.
ARG GO_IMAGE=golang:1.26.8-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${GO_IMAGE} AS build
ARG GOPROXY=https://proxy.golang.org,direct
ARG GOSUMDB=sum.golang.org
ARG GONOSUMDB=
ARG MODEL_URL=
ARG MODEL_SHA256=
ENV GOPROXY=${GOPROXY} GOSUMDB=${GOSUMDB} GONOSUMDB=${GONOSUMDB} GOFLAGS=-buildvcs=false \
    ATTNVIZ_KERNEL_BUILD=/build/kernel
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# The kernel (gophernotes + our patches + attnviz compiled in), stripped of its symbol table.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    ATTNVIZ_KERNEL_LDFLAGS="-s -w" bash kernel/build.sh --no-install
RUN MODEL_URL=${MODEL_URL} MODEL_SHA256=${MODEL_SHA256} bash scripts/image-model.sh \
 && bash scripts/lab-install.sh /opt/attnviz

FROM ${RUNTIME_IMAGE} AS lab
# Debian's Jupyter Notebook 6 (with nbconvert), jupyterhub for jupyterhub-singleuser, tini as
# PID 1. No recommends, no apt lists, no docs.
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      jupyter-notebook jupyterhub tini \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/cache/debconf/*-old /var/log/*.log \
 && useradd --uid 1000 --gid 100 --create-home --home-dir /home/jovyan --shell /bin/bash jovyan \
 && mkdir -p /etc/jupyter \
 && printf '%s\n' \
      '# attnviz lab: the Go kernel is the default for new notebooks.' \
      'c.MultiKernelManager.default_kernel_name = "attnviz-go"' \
      >/etc/jupyter/jupyter_notebook_config.py
COPY --from=build /opt/attnviz /opt/attnviz
ENV PATH=/opt/attnviz/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    JUPYTER_PATH=/opt/attnviz/share/jupyter \
    ATTNVIZ_MODEL=/opt/attnviz/models/stories260Ktok512.gguf \
    JUPYTERHUB_SINGLEUSER_APP=notebook.notebookapp.NotebookApp \
    LAB_PORT=8888
USER 1000:100
WORKDIR /home/jovyan
EXPOSE 8888
ENTRYPOINT ["tini", "-g", "--", "attnviz-start"]
CMD []

FROM lab AS handouts
USER root
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
USER 1000:100

FROM lab
