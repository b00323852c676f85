# shellcheck shell=bash
# completion/migsock.bash - bash completion for migsock-relay, migsock-bind,
# migsock-probe and migsock-migrate. `make install` puts it in
# PREFIX/share/bash-completion/completions/ under each command's name (the
# name bash-completion looks for); or source it from ~/.bashrc.
#
# Options come from the command's own --help (generated from its man page),
# so completion cannot drift from the options the command accepts. An option
# shown with an argument (--listen PATH) completes that argument: files,
# directories, channel names from the socket layout, users, log formats.

# "OPTION" or "OPTION ARG" per line, from COMMAND --help.
_migsock_options() {
	# An option line: "  -c, --connect URI   text", or several options
	# without argument: "  --auto-converge, --compressed   text".
	# (Description lines are indented further: they only mention options.)
	"$1" --help 2>/dev/null | awk '/^ +-/ && match($0, /^ +/) && RLENGTH <= 8 {
		sub(/^ +/, "")
		i = index($0, "  ")
		n = split(i ? substr($0, 1, i - 1) : $0, w, /[ ,]+/)
		for (k = 1; k <= n; k++)
			if (w[k] ~ /^--[a-z0-9-]+$/ && !seen[w[k]]++)
				print w[k], (k < n && w[k + 1] ~ /^[A-Z]/) ? w[k + 1] : ""
	}'
}

# The layout's channel names: --layout FILE on the line, else the rule of
# every migsock binary ($MIGSOCK_LAYOUT if set and not empty, else the
# installed layout next to this script's installed copy, if found).
_migsock_channels() {
	local file='' i
	for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
		[ "${COMP_WORDS[i]}" = --layout ] && file=${COMP_WORDS[i + 1]}
	done
	[ -n "$file" ] || file=${MIGSOCK_LAYOUT:-}
	if [ -z "$file" ]; then
		for file in /usr/local/share/migsock/migration.layout \
			/usr/share/migsock/migration.layout; do
			[ -r "$file" ] && break
		done
	fi
	[ -r "$file" ] && awk '{ sub(/#.*/, "") } NF { print $1 }' "$file"
}

# Complete the argument of option $2 (its placeholder is $3) of command $1.
_migsock_argument() {
	local cur=$4
	case $2 in
	--log-format) mapfile -t COMPREPLY < <(compgen -W 'text json' -- "$cur") ;;
	--channel | --channels)
		local pre='' word=$cur
		if [ "$2" = --channels ] && [[ $cur == *,* ]]; then
			pre=${cur%,*},
			word=${cur##*,}
		fi
		mapfile -t COMPREPLY < <(compgen -P "$pre" -W "$(_migsock_channels)" -- "$word")
		;;
	--owner | --allow-uid) mapfile -t COMPREPLY < <(compgen -u -- "$cur") ;;
	--allow-gid) mapfile -t COMPREPLY < <(compgen -g -- "$cur") ;;
	*)
		case $3 in
		DIR) mapfile -t COMPREPLY < <(compgen -d -- "$cur") ;;
		PATH | FILE | UPSTREAM_PATH) mapfile -t COMPREPLY < <(compgen -f -- "$cur") ;;
		*) COMPREPLY=() ;; # a number, a context, a URI: nothing to offer
		esac
		;;
	esac
}

_migsock() {
	local cmd=$1 cur=${COMP_WORDS[COMP_CWORD]} prev='' i opts arg
	COMPREPLY=()
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	# migsock-bind ... -- PROGRAM ARGS: complete the program, then its own.
	if [ "${cmd##*/}" = migsock-bind ]; then
		for ((i = 1; i < COMP_CWORD; i++)); do
			[ "${COMP_WORDS[i]}" = -- ] || continue
			if ((COMP_CWORD == i + 1)); then
				mapfile -t COMPREPLY < <(compgen -c -- "$cur" | sort -u)
			elif declare -F _command_offset >/dev/null; then
				_command_offset $((i + 1))
			else
				mapfile -t COMPREPLY < <(compgen -f -- "$cur")
			fi
			return 0
		done
	fi
	opts=$(_migsock_options "$cmd")
	arg=$(awk -v o="$prev" '$1 == o { print $2 }' <<<"$opts")
	if [ -n "$arg" ]; then
		_migsock_argument "$cmd" "$prev" "$arg" "$cur"
		return 0
	fi
	if [[ $cur == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(awk '{ print $1 }' <<<"$opts")" -- "$cur")
	else
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
	fi
}

complete -F _migsock migsock-relay migsock-bind migsock-probe migsock-migrate
