# The attnviz lab in one command:
#   docker build -t attnviz . && docker run -p 8888:8888 attnviz
# then open the URL it prints (http://localhost:8888/tree?token=...).
# It takes the same steps as `make lab` and CI: scripts/setup-deps.sh, kernel/build.sh.
FROM golang:1.26.8-bookworm

WORKDIR /attnviz
# Jupyter from Debian's packages (a layer of its own: it does not change with the sources).
COPY scripts/setup-deps.sh scripts/
RUN bash scripts/setup-deps.sh && rm -rf /var/lib/apt/lists/*

COPY . .
# The Go kernel with attnviz compiled in, and the lesson model (lesson 4) when it can be fetched.
RUN bash scripts/setup-lab.sh --no-start \
 && (make model || echo "lesson model not downloaded: lesson 4 will say how to get it")

ENV LAB_IP=0.0.0.0
EXPOSE 8888
CMD ["bash", "scripts/setup-lab.sh"]
