# shellcheck shell=bash
# tests/bench/migrate/report.bash - the table, the targets and the SVG plot
# of the migration benchmark, from its results.tsv (see run-bench-migrate):
#   1 case  2 scenario  3 run  4 wall_s  5 elapsed_ms  6 downtime_ms
#   7 memory_bps  8 iterations  9 moved_bytes  10 fwd_cpu_s  11 load1
#   12 fwd_wait_s  13 fwd_rss_peak_kib  14 fwd_pipes_peak_kib  15 fwd_procs
#   16 postcopy  17 postcopy_requests  18 hog_cpu_s  19 setup_s
# Plain POSIX awk (Debian's default is mawk): no asort, no gawk extensions.
# The scenario labels take CONNS and CONTENTION (run-bench-migrate's
# options) from the environment of the caller, when set.

# Issue 12's targets, total migration time (libvirt), median of the
# per-run ratios: "scenario x y limit" (x/y <= limit).
REPORT_TARGETS='one b a 1.05
parallel b a 1.05
postcopy b a 1.05
contention b d 0.80'

# Shared awk: collect the values of every (scenario, case) group, medians,
# minima, maxima, and the per-run paired ratios of total time.
# shellcheck disable=SC2016
REPORT_AWK_LIB='
function isort(a, n,    i, j, v) {
	for (i = 2; i <= n; i++) {
		v = a[i]
		for (j = i - 1; j >= 1 && a[j] > v; j--)
			a[j + 1] = a[j]
		a[j + 1] = v
	}
}
# Median, min and max of the values of key k (val[k, i], cnt[k]).
function stat3(k, what,    a, i, m) {
	m = cnt[k]
	if (m == 0)
		return "nan"
	for (i = 1; i <= m; i++)
		a[i] = val[k, i] + 0
	isort(a, m)
	if (what == "min") return a[1]
	if (what == "max") return a[m]
	return (m % 2) ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}
function add(k, v) {
	if (v == "nan" || v == "")
		return
	cnt[k]++
	val[k, cnt[k]] = v
}
function label(c) {
	if (c == "a") return "a shared dir, no forwarder"
	if (c == "b") return "b migsock-relay"
	if (c == "c") return "c socat (defaults)"
	if (c == "d") return "d socat -b 1048576"
	return c
}
function slabel(s) {
	if (s == "one") return "one connection"
	if (s == "parallel") return "--parallel " conns
	if (s == "postcopy") return "post-copy (after one pre-copy pass)"
	if (s == "contention") return "contention: " (contention == "one" ? "one connection" : "--parallel " conns) ", a CPU hog per core"
	return s
}
# A short label, for the plot.
function sshort(s) {
	if (s == "one") return "one connection"
	if (s == "parallel") return "--parallel " conns
	if (s == "postcopy") return "post-copy"
	if (s == "contention") return "contention"
	return s
}
BEGIN {
	if (conns == "") conns = 4
	if (contention == "") contention = "one"
}
NR == 1 { next }
{
	p = $2; c = $1; r = $3
	if (!(p in seenp)) { seenp[p] = 1; plist[++np] = p }
	if (!((p, c) in seenpc)) { seenpc[p, c] = 1; ncase[p]++; clist[p, ncase[p]] = c }
	if ($5 != "nan") add(p SUBSEP c SUBSEP "total", $5 / 1000)
	add(p SUBSEP c SUBSEP "wall", $4)
	add(p SUBSEP c SUBSEP "down", $6)
	if ($7 != "nan") add(p SUBSEP c SUBSEP "bw", $7 / 1048576)
	add(p SUBSEP c SUBSEP "cpu", $10)
	if ($9 != "nan" && $9 + 0 > 0 && $10 != "nan")
		add(p SUBSEP c SUBSEP "cpugib", $10 / ($9 / 1073741824))
	add(p SUBSEP c SUBSEP "load", $11)
	add(p SUBSEP c SUBSEP "wait", $12)
	if ($13 != "nan") add(p SUBSEP c SUBSEP "rss", $13 / 1024)
	if ($14 != "nan") add(p SUBSEP c SUBSEP "pipes", $14 / 1024)
	add(p SUBSEP c SUBSEP "hog", $18)
	if ($5 != "nan" && $5 + 0 > 0)
		total[p, c, r] = $5 + 0
	if (!((p, r) in seenpr)) { seenpr[p, r] = 1; nrun[p]++; rlist[p, nrun[p]] = r }
}
# Per-run ratios x/y of total time in group p, into key p,"ratio",x,y.
function ratios(p, x, y,    i, r, k) {
	k = p SUBSEP "ratio" SUBSEP x SUBSEP y
	if (k in done)
		return k
	done[k] = 1
	for (i = 1; i <= nrun[p]; i++) {
		r = rlist[p, i]
		if (((p, x, r) in total) && ((p, y, r) in total) && total[p, y, r] > 0)
			add(k, total[p, x, r] / total[p, y, r])
	}
	return k
}
'

# report_table RESULTS HEADER: the table a person reads.
report_table() {
	cat "$2"
	awk -F'\t' -v conns="${CONNS:-}" -v contention="${CONTENTION:-}" -v targets="$REPORT_TARGETS" "$REPORT_AWK_LIB"'
function cell(k, fmt) {
	if (cnt[k] == 0)
		return sprintf("%-19s", "-")
	return sprintf("%-19s", sprintf(fmt " [" fmt "-" fmt "]", stat3(k, "med"), stat3(k, "min"), stat3(k, "max")))
}
function verdict(p, x, y, target,    k, m) {
	k = ratios(p, x, y)
	if (cnt[k] == 0)
		return
	m = stat3(k, "med")
	printf "  (%s)/(%s) total time: %.2f [%.2f-%.2f] (median of %d paired runs)", x, y, m, stat3(k, "min"), stat3(k, "max"), cnt[k]
	if (target != "")
		printf "; target <= %.2f: %s", target, m <= target ? "met" : sprintf("MISSED by %.0f%%", (m / target - 1) * 100)
	printf "\n"
}
END {
	nt = split(targets, tl, "\n")
	for (i = 1; i <= np; i++) {
		p = plist[i]
		printf "\n%s: median [min-max] of %d runs\n", slabel(p), nrun[p]
		printf "%-27s %-19s %-19s %-19s %-19s %-19s %-19s %-19s %-19s %-19s\n", "case", "total s (libvirt)", "downtime ms", "memory MiB/s", "fwd CPU s", "fwd CPU s/GiB", "fwd CPU wait s", "fwd RSS peak MiB", "fwd pipes MiB", "wall s (command)"
		for (j = 1; j <= ncase[p]; j++) {
			c = clist[p, j]
			k = p SUBSEP c SUBSEP
			printf "%-27s %s %s %s %s %s %s %s %s %s\n", label(c), cell(k "total", "%.2f"), cell(k "down", "%.0f"), cell(k "bw", "%.0f"), cell(k "cpu", "%.2f"), cell(k "cpugib", "%.3f"), cell(k "wait", "%.2f"), cell(k "rss", "%.1f"), cell(k "pipes", "%.1f"), cell(k "wall", "%.2f")
			if (p == "contention" && cnt[k "hog"])
				hogline = hogline sprintf("%s%s %.1f", hogline == "" ? "" : ", ", c, stat3(k "hog", "med"))
		}
		# The targets of this scenario first, then the other pairs.
		for (t = 1; t <= nt; t++) {
			split(tl[t], f, " ")
			if (f[1] == p)
				verdict(p, f[2], f[3], f[4])
		}
		for (j = 1; j <= ncase[p]; j++) {
			c = clist[p, j]
			if (c == "b") continue
			is_target = 0
			for (t = 1; t <= nt; t++) {
				split(tl[t], f, " ")
				if (f[1] == p && f[2] == "b" && f[3] == c) is_target = 1
			}
			if (!is_target)
				verdict(p, "b", c, "")
		}
		if (p == "contention" && hogline != "")
			printf "  CPU seconds the hogs got during the migration (median): %s\n", hogline
	}
	printf "\nfwd: every process in both pods'"'"' sidecar containers (case a: the driver\n"
	printf "relay only). CPU: their cgroups'"'"' cpuacct; per GiB of memory and disk the\n"
	printf "migration moved. CPU wait: cpu.pressure \"some\" of their cgroups. RSS: the\n"
	printf "peak of their summed VmRSS, sampled every 100 ms; pipes: the largest pipe\n"
	printf "capacity they held (kernel memory). Time, downtime, MiB/s: libvirt'"'"'s\n"
	printf "completed-job statistics (migsock-migrate --json).\n"
}' "$1"
}

# report_targets_tsv RESULTS: one TSV row per target of issue 12 the
# results hold: figure, measured, target, verdict, note.
report_targets_tsv() {
	awk -F'\t' -v conns="${CONNS:-}" -v contention="${CONTENTION:-}" -v targets="$REPORT_TARGETS" "$REPORT_AWK_LIB"'
function name(c) {
	if (c == "a") return "no forwarder (shared dir)"
	if (c == "b") return "relay"
	if (c == "c") return "socat"
	if (c == "d") return "socat -b 1048576"
	return c
}
END {
	nt = split(targets, tl, "\n")
	for (t = 1; t <= nt; t++) {
		split(tl[t], f, " ")
		p = f[1]
		if (!(p in seenp))
			continue
		k = ratios(p, f[2], f[3])
		if (cnt[k] == 0) {
			printf "e2e %s, %s / %s\t-\t<= %.2fx\tnot measured\t\n", slabel(p), name(f[2]), name(f[3]), f[4]
			continue
		}
		m = stat3(k, "med")
		printf "e2e %s, %s / %s\t%.2fx\t<= %.2fx\t%s\tmedian of %d paired runs [%.2f-%.2f], total time (libvirt)\n", slabel(p), name(f[2]), name(f[3]), m, f[4], m <= f[4] ? "met" : sprintf("MISSED by %.0f%%", (m / f[4] - 1) * 100), cnt[k], stat3(k, "min"), stat3(k, "max")
	}
}' "$1"
}

# report_svg RESULTS HEADER: two bar charts side by side, total migration
# time and forwarder CPU, bars = medians, whiskers = min-max, one group per
# scenario, one colour per case; the target ratios under the title.
report_svg() {
	awk -F'\t' -v conns="${CONNS:-}" -v contention="${CONTENTION:-}" -v targets="$REPORT_TARGETS" \
		-v header="$(grep -v 'load average at end' "$2" | sed -n '2,3p' | sed 's/^# //' | tr '\n' '|')" \
		"$REPORT_AWK_LIB"'
function esc(s) { gsub(/&/, "\\&amp;", s); gsub(/</, "\\&lt;", s); gsub(/>/, "\\&gt;", s); return s }
function text(x, y, s, extra) { printf "<text x=\"%.1f\" y=\"%.1f\" %s>%s</text>\n", x, y, extra, esc(s) }
function line(x1, y1, x2, y2, extra) { printf "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" %s/>\n", x1, y1, x2, y2, extra }
# A round axis maximum above v.
function nice(v,    m) {
	if (v <= 0) return 1
	m = 1
	while (m * 10 < v) m *= 10
	while (m > v * 10) m /= 10
	if (v <= m) return m
	if (v <= 2 * m) return 2 * m
	if (v <= 5 * m) return 5 * m
	return 10 * m
}
# Panel at x0 (width w, plot height h, top y0) of metric m.
function panel(x0, y0, w, h, m, title, unit, fmt,    ymax, i, j, p, c, k, gw, bw, x, med, lo, hi, yb, t, cut) {
	ymax = 0
	for (i = 1; i <= np; i++)
		for (j = 1; j <= ncase[plist[i]]; j++) {
			k = plist[i] SUBSEP clist[plist[i], j] SUBSEP m
			if (cnt[k] && stat3(k, "med") > ymax) ymax = stat3(k, "med")
		}
	# Scaled to the medians: one outlier run must not flatten every bar
	# (a whisker past the top is cut there and labelled with its value).
	ymax = nice(ymax * 1.5)
	text(x0 + w / 2, y0 - 12, title, "text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\"")
	for (t = 0; t <= 4; t++) {
		yb = y0 + h - h * t / 4
		line(x0, yb, x0 + w, yb, "stroke=\"#ddd\"")
		text(x0 - 6, yb + 4, sprintf("%g", ymax * t / 4), "text-anchor=\"end\" font-size=\"11\"")
	}
	text(x0 - 38, y0 + h / 2, unit, "text-anchor=\"middle\" font-size=\"12\" transform=\"rotate(-90 " (x0 - 38) " " (y0 + h / 2) ")\"")
	gw = w / np
	for (i = 1; i <= np; i++) {
		p = plist[i]
		bw = gw * 0.8 / ncase[p]
		text(x0 + gw * (i - 0.5), y0 + h + 18, sshort(p), "text-anchor=\"middle\" font-size=\"12\"")
		for (j = 1; j <= ncase[p]; j++) {
			c = clist[p, j]
			k = p SUBSEP c SUBSEP m
			if (!cnt[k]) continue
			med = stat3(k, "med"); lo = stat3(k, "min"); hi = stat3(k, "max")
			x = x0 + gw * (i - 1) + gw * 0.1 + bw * (j - 1)
			cut = hi > ymax
			if (cut) {
				text(x + bw / 2 + 4, y0 + 10, sprintf("max " fmt, hi), "font-size=\"10\" fill=\"#555\"")
				hi = ymax
			}
			printf "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n", x + 2, y0 + h - h * med / ymax, bw - 4, h * med / ymax, colour[c]
			line(x + bw / 2, y0 + h - h * lo / ymax, x + bw / 2, y0 + h - h * hi / ymax, "stroke=\"#000\" stroke-width=\"1.5\"")
			line(x + bw / 2 - 4, y0 + h - h * lo / ymax, x + bw / 2 + 4, y0 + h - h * lo / ymax, "stroke=\"#000\" stroke-width=\"1.5\"")
			line(x + bw / 2 - 4, y0 + h - h * hi / ymax, x + bw / 2 + 4, y0 + h - h * hi / ymax, "stroke=\"#000\" stroke-width=\"1.5\"")
			text(x + bw / 2 + (cut ? bw / 4 : 0), y0 + h - h * (cut ? med : hi) / ymax - 5, sprintf(fmt, med), "text-anchor=\"" (cut ? "start" : "middle") "\" font-size=\"10\"")
			text(x + bw / 2, y0 + h - 4, c, "text-anchor=\"middle\" font-size=\"11\" fill=\"#fff\" font-weight=\"bold\"")
		}
	}
	line(x0, y0 + h, x0 + w, y0 + h, "stroke=\"#000\"")
	line(x0, y0, x0, y0 + h, "stroke=\"#000\"")
}
# One line per target the results hold: the ratio of total time.
function ratio_lines(y,    t, nt, f, k, p) {
	nt = split(targets, tl, "\n")
	for (t = 1; t <= nt; t++) {
		split(tl[t], f, " ")
		p = f[1]
		if (!(p in seenp))
			continue
		k = ratios(p, f[2], f[3])
		if (!cnt[k])
			continue
		text(500, y, sprintf("%s: %s/%s = %.2f (target <= %.2f)", sshort(p), f[2], f[3], stat3(k, "med"), f[4]), "text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\"")
		y += 17
	}
}
END {
	colour["a"] = "#7f7f7f"; colour["b"] = "#1f77b4"; colour["c"] = "#d62728"; colour["d"] = "#ff7f0e"
	split(header, hl, "|")
	printf "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1000\" height=\"600\" font-family=\"sans-serif\">\n"
	printf "<rect width=\"1000\" height=\"600\" fill=\"#fff\"/>\n"
	text(500, 26, "Live migration with storage copy between two libvirt pods: who forwards the streams", "text-anchor=\"middle\" font-size=\"17\" font-weight=\"bold\"")
	text(500, 46, hl[1], "text-anchor=\"middle\" font-size=\"12\"")
	text(500, 62, hl[2], "text-anchor=\"middle\" font-size=\"12\"")
	ratio_lines(84)
	panel(80, 190, 400, 300, "total", "total migration time (libvirt)", "seconds", "%.1f")
	panel(570, 190, 400, 300, "cpu", "CPU time of the forwarders", "CPU seconds", "%.2f")
	# A legend entry for every case measured.
	n = 0
	for (i = 1; i <= 4; i++) {
		c = substr("abcd", i, 1)
		for (j = 1; j <= np; j++)
			if ((plist[j], c) in seenpc) {
				printf "<rect x=\"%d\" y=\"555\" width=\"14\" height=\"14\" fill=\"%s\"/>\n", 90 + n * 230, colour[c]
				text(110 + n * 230, 567, label(c), "font-size=\"13\"")
				n++
				break
			}
	}
	text(500, 592, "bars: median; whiskers: min-max; (a) has no qemu/nbd forwarder, its CPU is the driver relay only", "text-anchor=\"middle\" font-size=\"11\" fill=\"#555\"")
	printf "</svg>\n"
}' "$1"
}

# report_incidents INCIDENTS: migrations that failed, or whose guest died
# on the destination right after libvirt reported success; each was done
# again (up to 3 attempts), so the table holds only completed migrations.
report_incidents() {
	local n
	n=$(($(wc -l <"$1") - 1))
	[ "$n" -gt 0 ] || return 0
	printf '\n%d incident(s), each migration done again (3 attempts at most):\n' "$n"
	awk -F'\t' 'NR > 1 { printf "  case %s, %s, run %s, attempt %s: %s\n", $1, $2, $3, $4, $5 }' "$1"
}
