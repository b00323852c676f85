#!/usr/bin/env bats
# tests/image/image.bats - the Dockerfile builds with buildah (base image
# made locally by debootstrap unless MIGSOCK_IMAGE_BASE names one), and the
# image keeps its promises: non-root user, relay entrypoint, OCI labels, a
# health check with migsock-probe, only runtime libraries; the relay inside
# it forwards a connection between host sockets. `make image-check` runs it
# (part of `make check`); a cold run takes about two minutes here.
# shellcheck disable=SC2030,SC2031

load ../bats/common

IMG_DIR=$TOP/build/image
STORE=(--root "$IMG_DIR/storage" --runroot "$IMG_DIR/run")
BASE=${MIGSOCK_IMAGE_BASE:-localhost/migsock-base:bookworm}
IMAGE=localhost/migsock:check

bah() { buildah "${STORE[@]}" "$@"; }

setup_file() {
	command -v buildah >/dev/null || return 0
	[ "$(id -u)" = 0 ] || return 0
	mkdir -p "$IMG_DIR"
	if [ -z "${MIGSOCK_IMAGE_BASE:-}" ]; then
		command -v debootstrap >/dev/null || return 0
		"$TOP/tests/image/base-image" "$IMG_DIR/storage" "$IMG_DIR/run" "$BASE" >&3 2>&1
	fi
	# --layers: the package-install layers are reused by later runs.
	bah build --format docker --layers --build-arg BASE="$BASE" \
		--build-arg REVISION="$(git -C "$TOP" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
		-t "$IMAGE" -f "$TOP/Dockerfile" "$TOP" >"$IMG_DIR/build.log" 2>&1 ||
		{ tail -30 "$IMG_DIR/build.log" >&3; return 1; }
}

teardown_file() {
	command -v buildah >/dev/null || return 0
	bah rm --all >/dev/null 2>&1 || true
	bah rmi "$IMAGE" >/dev/null 2>&1 || true
	# Dangling intermediate images of old builds (the layer cache stays).
	bah rmi --prune >/dev/null 2>&1 || true
}

setup() {
	command -v buildah >/dev/null || skip "no container build tool: buildah not installed (Debian: buildah)"
	[ "$(id -u)" = 0 ] || skip "buildah here needs root"
	[ -n "${MIGSOCK_IMAGE_BASE:-}" ] || command -v debootstrap >/dev/null ||
		skip "no base image: debootstrap not installed and MIGSOCK_IMAGE_BASE unset"
	bah inspect --type image "$IMAGE" >/dev/null || {
		echo "image build failed, see $IMG_DIR/build.log" >&2
		return 1
	}
	d=$(ms_tmpdir)
	pids=()
	ctr=
}

teardown() {
	# The relay inside the container first (its host pid, from --pid host):
	# killing `buildah run` alone leaves the container's process running.
	if [ -s "$d/relay.pid" ]; then
		kill -TERM "$(cat "$d/relay.pid")" 2>/dev/null || true
	fi
	[ -z "$ctr" ] || bah rm "$ctr" >/dev/null 2>&1 || true
	scratch_teardown
}

config() {
	bah inspect --type image --format "$1" "$IMAGE"
}

@test "image: non-root user, relay entrypoint, OCI labels, migsock-probe health check" {
	[ "$(config '{{.OCIv1.Config.User}}')" = "65532:65532" ]
	[ "$(config '{{index .OCIv1.Config.Entrypoint 0}}')" = /usr/bin/migsock-relay ]
	[ "$(config '{{index .OCIv1.Config.Labels "org.opencontainers.image.title"}}')" = migsock ]
	[ -n "$(config '{{index .OCIv1.Config.Labels "org.opencontainers.image.version"}}')" ]
	[ "$(config '{{index .OCIv1.Config.Labels "org.opencontainers.image.licenses"}}')" = MIT ]
	run config '{{.Docker.Config.Healthcheck.Test}}'
	[[ "$output" == *migsock-probe* ]]
}

@test "image: runtime stage has the binaries and their libraries, no compiler or headers" {
	ctr=$(bah from "$IMAGE")
	# shellcheck disable=SC2016 # expanded in the container
	run bah run "$ctr" -- sh -c '
		for b in /usr/bin/migsock-*; do
			[ -x "$b" ] || exit 10
			if ldd "$b" | grep "not found"; then exit 11; fi
			"$b" --help >/dev/null || exit 12
		done
		ls /usr/bin/migsock-* | wc -l
		[ -r /usr/share/migsock/migration.layout ] || exit 13
		! command -v gcc && ! command -v make && [ ! -e /usr/include/seccomp.h ] || exit 14
		[ ! -e /usr/lib/x86_64-linux-gnu/libvirt.so ] || exit 15'
	echo "$output"
	[ "$status" -eq 0 ]
	# relay, bind, probe and migrate (those that exist in this tree).
	local mains=("$TOP"/src/*/main.c)
	[ "${lines[-1]}" -eq "${#mains[@]}" ]
}

@test "image: the entrypoint relay forwards between host sockets as the image's user" {
	chmod 0777 "$d"
	socat "UNIX-LISTEN:$d/upstream,fork,mode=0666" EXEC:cat 3>&- &
	pids+=($!)
	wait_for_socket "$d/upstream"
	ctr=$(bah from "$IMAGE")
	local entry
	entry=$(config '{{index .OCIv1.Config.Entrypoint 0}}')
	# --pid host: the pid written is the relay's on this host, to stop it.
	# buildah itself, not through bah(): $! must be buildah's pid.
	buildah "${STORE[@]}" run --pid host -v "$d:/run/migsock" "$ctr" -- sh -c \
		"echo \$\$ >/run/migsock/relay.pid; exec $entry --listen /run/migsock/relay --connect /run/migsock/upstream" \
		3>&- 2>"$d/relay.log" &
	pids+=($!)
	wait_for_socket "$d/relay" 300
	run socat -t 5 - "UNIX-CONNECT:$d/relay" <<<"into the container and back"
	[ "$output" = "into the container and back" ]
	# The socket was created by the non-root user.
	[ "$(stat -c %u "$d/relay")" = 65532 ]
	# The health check as the image declares it: healthy now...
	local hc
	hc=$(config '{{index .Docker.Config.Healthcheck.Test 3}}')
	run bah run -v "$d:/run/migsock" "$ctr" -- env MIGSOCK_HEALTH_SOCKET=/run/migsock/relay /bin/sh -c "$hc"
	[ "$status" -eq 0 ]
	# ...unhealthy where nothing listens...
	run bah run -v "$d:/run/migsock" "$ctr" -- env MIGSOCK_HEALTH_SOCKET=/run/migsock/nothing /bin/sh -c "$hc"
	[ "$status" -ne 0 ]
	# ...and while the relay is up but its upstream (the daemon) is not.
	kill "${pids[0]}"
	wait "${pids[0]}" 2>/dev/null || true
	rm -f "$d/upstream"
	run bah run -v "$d:/run/migsock" "$ctr" -- env MIGSOCK_HEALTH_SOCKET=/run/migsock/relay /bin/sh -c "$hc"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ "$output" == *"its upstream does not accept"* ]]
	kill -TERM "$(cat "$d/relay.pid")"
	# Not `run wait`: run's subshell is not the process's parent.
	local rc=0
	wait "${pids[-1]}" || rc=$?
	cat "$d/relay.log"
	[ "$rc" -eq 0 ]
	[ ! -e "$d/relay" ]
}
