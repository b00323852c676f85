# syntax=docker/dockerfile:1
# migsock container image: migsock-relay as the entrypoint (a sidecar that
# bridges a pod's socket directory), with migsock-bind, migsock-probe and
# migsock-migrate beside it.
#
#   buildah build --format docker -t migsock:0.1 .      (or docker build)
#   podman run -v /run/migsock:/run/migsock migsock:0.1 \
#       --listen /run/migsock/test-sock-driver --connect /run/migsock/upstream
#
# Two stages: the build stage has the compiler and -dev packages; the
# runtime stage only the shared libraries the binaries link. BASE may name a
# locally built Debian 12 image (tests/image/image.bats builds one with
# debootstrap when no registry is reachable).
ARG BASE=docker.io/library/debian:bookworm-slim

FROM ${BASE} AS build
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      make gcc libc6-dev pkg-config scdoc \
      libseccomp-dev libselinux1-dev libcap-dev libvirt-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# PREFIX=/usr: the binaries look for the socket layout in /usr/share/migsock.
RUN make -j"$(nproc)" PREFIX=/usr all \
 && install -d /out/usr/bin /out/usr/share/migsock \
 && install -m 0755 build/bin/migsock-* /out/usr/bin/ \
 && make PREFIX=/usr DESTDIR=/out install-layout \
 && install -D -m 0755 examples/k8s/daemonset-bridge/bridge-loop \
      /out/usr/share/migsock/examples/k8s/daemonset-bridge/bridge-loop

FROM ${BASE}
ARG VERSION=0.1
ARG REVISION=unknown
LABEL org.opencontainers.image.title="migsock" \
      org.opencontainers.image.description="Live-migrate VMs between container-isolated libvirt daemons over UNIX sockets: a sandboxed zero-copy socket relay and migration tools" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.documentation="man:migsock-relay(1)" \
      org.opencontainers.image.base.name="debian:bookworm-slim"
# Only runtime libraries: libseccomp, libselinux, libcap for every binary,
# libvirt's client library for migsock-migrate.
RUN apt-get update -q \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      libseccomp2 libselinux1 libcap2 libvirt0 \
 && rm -rf /var/lib/apt/lists/* /var/cache/debconf/*-old /var/log/* \
 && useradd --system --uid 65532 --user-group --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin migsock
COPY --from=build /out/ /
# Not root by default: a relay between two socket directories needs no
# privilege, only write access to the listening directory and to the
# upstream sockets. Run as root (-u 0) only to reach root-only daemon
# sockets; the relay still drops every capability once its sockets exist.
USER 65532:65532
ENTRYPOINT ["/usr/bin/migsock-relay"]
# Default: serve every channel of the socket layout from /run/migsock/listen
# to /run/migsock/connect (mount both).
CMD ["--layout", "/usr/share/migsock/migration.layout", \
     "--listen-dir", "/run/migsock/listen", "--connect-dir", "/run/migsock/connect"]
# Healthy while the driver channel reaches its upstream through the relay
# (--through: the daemon behind /run/migsock/connect accepts, not merely the
# relay's own socket). The driver channel is the only one whose upstream
# must always exist, and that a stray connection cannot disturb; the qemu
# and nbd upstreams exist only during a migration. MIGSOCK_HEALTH_SOCKET
# picks another socket; MIGSOCK_HEALTH_OPTS="" checks the relay alone.
ENV MIGSOCK_HEALTH_SOCKET=/run/migsock/listen/test-sock-driver \
    MIGSOCK_HEALTH_OPTS=--through
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 \
  CMD ["/bin/sh", "-c", "exec /usr/bin/migsock-probe $MIGSOCK_HEALTH_OPTS --timeout 2 \"$MIGSOCK_HEALTH_SOCKET\""]
