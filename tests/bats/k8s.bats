#!/usr/bin/env bats
# tests/bats/k8s.bats - examples/k8s: every manifest is valid against the
# Kubernetes API schema (kubernetes-models from the npm registry, installed
# into build/k8s-validate on first use), strictly (no unknown field), and
# keeps migsock's promises (native sidecar, migsock-probe readiness, no
# privileges); the validator itself rejects broken manifests; and the
# DaemonSet's bridge loop bridges fake kubelet pod directories with real
# relays. Only the validator tests need node and npm (make deps installs
# them; the registry must be reachable on the first run); the bridge-loop
# tests need neither and always run.
# shellcheck disable=SC2030,SC2031

load common

K8S=$TOP/examples/k8s
VALIDATOR_DIR=$TOP/build/k8s-validate
# Pinned: the schema this test checks against (Kubernetes 1.3x API).
NPM_PACKAGES=(kubernetes-models@5.1.0 yaml@2.9.1)

# Fetch the pinned packages once (their log in build/k8s-validate/npm.log).
setup_file() {
	command -v node >/dev/null && command -v npm >/dev/null || return 0
	if [ ! -d "$VALIDATOR_DIR/node_modules/kubernetes-models" ]; then
		mkdir -p "$VALIDATOR_DIR"
		timeout 300 npm install --prefix "$VALIDATOR_DIR" --no-audit --no-fund \
			--loglevel=error "${NPM_PACKAGES[@]}" >"$VALIDATOR_DIR/npm.log" 2>&1 || true
	fi
}

setup() {
	d=$(ms_tmpdir)
	pids=()
	pods=$(mktemp -d /tmp/kXXX)
}

# The validator tests' own requirement: node, npm and the packages.
require_validator() {
	command -v node >/dev/null || skip "node not installed (make deps: Debian's nodejs)"
	command -v npm >/dev/null || skip "npm not installed (make deps: Debian's npm)"
	if [ ! -d "$VALIDATOR_DIR/node_modules/kubernetes-models" ]; then
		cat "$VALIDATOR_DIR/npm.log" 2>/dev/null
		skip "npm could not fetch ${NPM_PACKAGES[*]} from its registry (see build/k8s-validate/npm.log)"
	fi
	# Resolved from the script's directory: run a copy beside node_modules.
	cp "$K8S/validate.mjs" "$VALIDATOR_DIR/validate.mjs"
}

teardown() {
	scratch_teardown
	rm -rf "$pods"
}

validate() {
	node "$VALIDATOR_DIR/validate.mjs" "$@"
}

@test "k8s: every manifest is valid, strictly, and keeps migsock's rules" {
	require_validator
	local files=("$K8S"/*/*.yaml)
	[ "${#files[@]}" -ge 7 ]
	run validate --migsock-policy "${files[@]}"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c ': valid$' <<<"$output")" -eq "${#files[@]}" ]
}

@test "k8s: both deployments run migsock as a native sidecar with an exec migsock-probe" {
	local f
	for f in "$K8S"/shared-hostpath/*-pod.yaml "$K8S"/daemonset-bridge/*-pod.yaml; do
		grep -q '^  initContainers:' "$f"
		grep -q 'restartPolicy: Always' "$f"
		grep -q 'command: \["migsock-probe"' "$f"
	done
	grep -q 'emptyDir' "$K8S/daemonset-bridge/source-pod.yaml"
	grep -q 'hostPath' "$K8S/shared-hostpath/source-pod.yaml"
	grep -q '^kind: DaemonSet' "$K8S/daemonset-bridge/daemonset.yaml"
}

@test "k8s: the validator rejects what the API server would (negative controls)" {
	require_validator
	local pod=$K8S/shared-hostpath/destination-pod.yaml
	# A misspelt field: the API server's strict validation refuses it.
	sed 's/readinessProbe:/readinesProbe:/' "$pod" >"$d/typo.yaml"
	run validate "$d/typo.yaml"
	[ "$status" -eq 1 ]
	[[ "$output" == *"/spec/initContainers/0/readinesProbe: unknown field"* ]]
	# ...also in metadata (another package) and deep in a DaemonSet template.
	sed 's/^  labels:/  lables:/; s/mountPropagation:/mountPropogation:/' \
		"$K8S/daemonset-bridge/daemonset.yaml" >"$d/typo2.yaml"
	run validate "$d/typo2.yaml"
	[ "$status" -eq 1 ]
	[[ "$output" == *"/metadata/lables: unknown field"* ]]
	[[ "$output" == *"/spec/template/spec/containers/0/volumeMounts/0/mountPropogation: unknown field"* ]]
	# A wrong type.
	sed 's/periodSeconds: 5/periodSeconds: often/' "$pod" >"$d/type.yaml"
	run validate "$d/type.yaml"
	[ "$status" -eq 1 ]
	[[ "$output" == *"periodSeconds must be integer"* ]]
	# A required field missing.
	sed 's/^    - name: libvirtd$/    - image: x/; s/^      image: example.org.*$//' "$pod" >"$d/req.yaml"
	run validate "$d/req.yaml"
	[ "$status" -eq 1 ]
	[[ "$output" == *"must have required property"* ]]
	# An unknown kind.
	printf 'apiVersion: v1\nkind: Podd\nmetadata: {name: x}\n' >"$d/kind.yaml"
	run validate "$d/kind.yaml"
	[ "$status" -eq 1 ]
	[[ "$output" == *"unknown kind Podd"* ]]
	# migsock's rules: a plain init container is not a sidecar; a probe of
	# another path than the relay serves.
	sed 's/restartPolicy: Always/restartPolicy: OnFailure/' "$pod" >"$d/sidecar.yaml"
	run validate --migsock-policy "$d/sidecar.yaml"
	[ "$status" -eq 1 ]
	[[ "$output" == *"not a native sidecar"* ]]
	sed 's/drop: \["ALL"\]/drop: ["NET_RAW"]/' "$pod" >"$d/caps.yaml"
	run validate --migsock-policy "$d/caps.yaml"
	[ "$status" -eq 1 ]
	[[ "$output" == *"capabilities must drop ALL"* ]]
}

# A fake kubelet pod directory with one socket emptyDir. $pods is short
# (the DaemonSet mounts the real one at /k): socket paths must fit 107 bytes.
fake_pod() {
	mkdir -p "$pods/$1/volumes/kubernetes.io~empty-dir/migsock"
	printf '%s\n' "$pods/$1/volumes/kubernetes.io~empty-dir/migsock"
}

wait_gone() {
	local tries=100
	while ((tries-- > 0)); do
		[ ! -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

@test "k8s: the DaemonSet's bridge loop bridges pod directories and follows the ConfigMap" {
	[ -x "$MIGSOCK_BIN/migsock-relay" ] || skip "migsock-relay not built"
	[ -x "$MIGSOCK_BIN/migsock-probe" ] || skip "migsock-probe not built"
	local src_uid=11111111-2222-4333-8444-555555555555
	local dst_uid=aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee
	local src dst driver
	src=$(fake_pod "$src_uid")
	dst=$(fake_pod "$dst_uid")
	driver=$(awk '$1 == "driver" { print $2 }' "$MIGSOCK_LAYOUT")
	# The destination pod's sidecar: its daemon socket, here an echo server.
	socat "UNIX-LISTEN:$dst/$driver,fork" EXEC:cat 3>&- &
	pids+=($!)
	wait_for_socket "$dst/$driver"
	printf '# comment\nvm1 %s %s\nbad line ../../etc x\n' "$src_uid" "$dst_uid" >"$d/bridges"
	BRIDGES=$d/bridges PODS=$pods STATE=$d/state INTERVAL=0.2 \
		MIGSOCK_BIN=$MIGSOCK_BIN \
		sh "$K8S/daemonset-bridge/bridge-loop" 3>&- 2>"$d/loop.log" &
	pids+=($!)
	wait_for_socket "$src/$driver"
	run socat -t 5 - "UNIX-CONNECT:$src/$driver" <<<"source daemon to destination daemon"
	[ "$output" = "source daemon to destination daemon" ]
	# Every channel of the layout is served in the source pod's directory.
	local ch n=0
	while read -r ch; do
		[ -S "$src/$ch" ]
		n=$((n + 1))
	done < <(awk '$1 !~ /^#/ && NF { print $2 }' "$MIGSOCK_LAYOUT")
	[ "$n" -eq 3 ]
	grep -q 'ignoring malformed line: bad line' "$d/loop.log"
	# Readiness as the DaemonSet's probe runs it.
	BRIDGES=$d/bridges PODS=$pods STATE=$d/state MIGSOCK_BIN=$MIGSOCK_BIN \
		run sh "$K8S/daemonset-bridge/bridge-loop" --check
	[ "$status" -eq 0 ]
	# The destination daemon goes away: the bridge is up, but not ready.
	kill "${pids[0]}"
	wait_gone "$dst/$driver"
	BRIDGES=$d/bridges PODS=$pods STATE=$d/state MIGSOCK_BIN=$MIGSOCK_BIN \
		run sh "$K8S/daemonset-bridge/bridge-loop" --check
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"its upstream does not accept"* ]]
	# The line goes away: the relay stops and removes its sockets.
	printf '# nothing\n' >"$d/bridges"
	wait_gone "$src/$driver"
	# The relay removes its socket, then exits; the loop then forgets it.
	wait_gone "$d/state/vm1.pid"
	# SIGTERM to the loop: exits 0.
	kill -TERM "${pids[-1]}"
	# Not `run wait`: run's subshell is not the process's parent.
	local rc=0
	wait "${pids[-1]}" || rc=$?
	cat "$d/loop.log"
	[ "$rc" -eq 0 ]
}

@test "k8s: bridge loop readiness fails while a configured relay is missing" {
	[ -x "$MIGSOCK_BIN/migsock-probe" ] || skip "migsock-probe not built"
	mkdir -p "$d/state"
	printf 'vm1 11111111-2222-4333-8444-555555555555 aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee\n' >"$d/bridges"
	BRIDGES=$d/bridges PODS=$pods STATE=$d/state MIGSOCK_BIN=$MIGSOCK_BIN \
		run sh "$TOP/examples/k8s/daemonset-bridge/bridge-loop" --check
	[ "$status" -eq 1 ]
	[[ "$output" == *"vm1: no relay running"* ]]
}

@test "k8s: drain fits the grace period, driver readiness goes through the relay, the Job waits for both daemons" {
	local f g
	for f in "$K8S"/*/*-pod.yaml "$K8S"/daemonset-bridge/daemonset.yaml; do
		g=$(awk '$1 == "terminationGracePeriodSeconds:" { print $2 }' "$f")
		echo "$f: $g"
		# Above the relay's default --drain-timeout (30 s).
		[ -n "$g" ] && [ "$g" -gt 30 ]
	done
	for f in "$K8S"/*/*-pod.yaml; do
		grep -q '"migsock-probe", "--through"' "$f"
	done
	f=$K8S/shared-hostpath/migrate-job.yaml
	grep -q 'migsock-probe --quiet --through /run/migsock/source-driver' "$f"
	grep -q 'migsock-probe --quiet --through /run/migsock/test-sock-driver' "$f"
	grep -q 'activeDeadlineSeconds:' "$f"
	# The Pod Security level these manifests need is stated.
	grep -q 'pod-security.kubernetes.io/enforce=privileged' "$K8S/README.md"
}
