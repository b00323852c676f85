// SPDX-License-Identifier: MIT
/* preflight.c - checks before a migration; see preflight.h. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "label.h"
#include "plan.h"
#include "preflight.h"
#include "recover.h"
#include "sockpath.h"
#include "uri.h"
#include "util.h"
#include "watchdog.h"
#include "xmlscan.h"

#define PF MS_EXIT_PREFLIGHT

static bool is_libvirt_daemon(pid_t pid)
{
	char path[64], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (!(f = fopen(path, "re")))
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	return !strcmp(comm, "libvirtd") || !strcmp(comm, "virtqemud");
}

bool mig_daemon_root(const char *sock, pid_t *pid, char *root, size_t len)
{
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	_cleanup_fd_ int fd = sock_connect_path(sock, NULL, false, NULL);

	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 ||
	    cred.pid <= 0 || !is_libvirt_daemon(cred.pid))
		return false;
	*pid = cred.pid;
	snprintf(root, len, "/proc/%d/root", (int)cred.pid);
	return access(root, X_OK) == 0;
}

/* --- socket paths ---------------------------------------------------- */

/* A daemon socket that exists here must accept connections. */
static int check_daemon_sock(const char *what, const char *uri,
			     struct ms_error *e)
{
	char path[PATH_MAX];
	struct stat st;
	struct ms_error ce;

	if (!uri || !mig_daemon_socket(uri, path, sizeof(path)))
		return 0;
	if (sockpath_check(path, &ce) < 0)
		return ms_fail(e, PF, "%s socket: %s", what, ce.msg);
	if (lstat(path, &st) < 0)
		return 0; /* not visible here: the daemon side will tell */
	_cleanup_fd_ int fd = sock_connect_path(path, NULL, false, &ce);
	if (fd < 0)
		return ms_fail(e, PF, "%s: %s (check the daemon or its relay)",
			       what, ce.msg);
	return 0;
}

/* The type field of context @ctx equals the one of @want. */
static bool same_type(const char *ctx, const char *want)
{
	const char *a = strchr(ctx, ':'), *b = strchr(want, ':');

	a = a ? strchr(a + 1, ':') : NULL;
	b = b ? strchr(b + 1, ':') : NULL;
	if (!a || !b)
		return false;
	return strcspn(a + 1, ":") == strcspn(b + 1, ":") &&
	       !strncmp(a + 1, b + 1, strcspn(b + 1, ":"));
}

/* QEMU (svirt_t) connects to these sockets with its own label: itself for
 * NBD and --parallel, through libvirt for the single migration stream.
 * Under SELinux a socket that kept its creator's label (a relay started
 * without --layout or --context) is denied to it, and libvirt then only
 * says "Permission denied". The connection just made reads the listening
 * socket's label (SO_PEERSEC); seen in tests/selinux/guest-migrate-run.sh. */
static void warn_label(const char *opt, const char *path, int fd)
{
	char ctx[256];

	if (label_peer(fd, ctx, sizeof(ctx)) < 0 ||
	    same_type(ctx, LABEL_HYPERVISOR_SOCKET))
		return;
	log_warn("%s %s: the socket is labelled %s: SELinux will deny QEMU "
		 "(svirt_t) to connect; start its relay with --layout or "
		 "--context %s", opt, path, ctx, LABEL_HYPERVISOR_SOCKET);
}

/* QEMU's stream sockets: the destination QEMU creates them while
 * preparing (shared directory) or a relay listens there (separate
 * directories). Before the migration, either nothing is there, or a
 * socket; anything else would be unlinked or make QEMU fail. */
static int check_stream_sock(const char *opt, const char *uri, bool verbose,
			     struct ms_error *e)
{
	char path[PATH_MAX];
	struct stat st;
	struct ms_error ce;

	if (!uri || !mig_uri_unix_path(uri, path, sizeof(path)))
		return 0;
	if (sockpath_check(path, &ce) < 0)
		return ms_fail(e, PF, "%s: %s", opt, ce.msg);
	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode))
		return ms_fail(e, PF, "%s %s exists and is not a socket: remove "
			       "it or choose another path", opt, path);
	_cleanup_fd_ int fd = sock_connect_path(path, NULL, false, &ce);
	if (fd < 0 && verbose)
		log_info("%s %s: nothing accepts yet; fine if the destination "
			 "QEMU creates it, else start its relay", opt, path);
	if (fd >= 0)
		warn_label(opt, path, fd);
	return 0;
}

/* The desturi's socket as the source daemon sees it must fit sun_path,
 * even when this client checks the destination through --dest-connect. */
static int check_desturi_length(const struct mig_opts *o, struct ms_error *e)
{
	char path[PATH_MAX];
	struct ms_error ce;

	if (mig_uri_unix_path(o->desturi, path, sizeof(path)) &&
	    sockpath_check(path, &ce) < 0)
		return ms_fail(e, PF, "--desturi: %s", ce.msg);
	return 0;
}

static int check_paths(const struct mig_opts *o, struct ms_error *e)
{
	if (check_desturi_length(o, e) < 0 ||
	    check_daemon_sock("source daemon (-c)", o->connect, e) < 0 ||
	    check_daemon_sock("destination daemon", o->dest_connect ?
			      o->dest_connect : o->desturi, e) < 0 ||
	    check_stream_sock("--migrateuri", o->migrateuri, o->verbose, e) < 0 ||
	    check_stream_sock("--disks-uri", o->disks_uri, o->verbose, e) < 0)
		return -1;
	return 0;
}

/* --- daemons --------------------------------------------------------- */

static int host_uuid(struct mig_side *s, const char *what, struct ms_error *e)
{
	char *caps = virConnectGetCapabilities(s->conn);
	bool ok = caps && mig_xml_host_uuid(caps, s->host_uuid,
					    sizeof(s->host_uuid));

	free(caps);
	if (!ok)
		return ms_fail(e, PF, "cannot read the host UUID of the %s "
			       "daemon (%s): check that it answers "
			       "virsh -c %s capabilities", what,
			       mig_virt_error(), s->uri);
	return 0;
}

static void find_root(struct mig_side *s)
{
	char sock[PATH_MAX];

	if (mig_daemon_socket(s->uri, sock, sizeof(sock)))
		mig_daemon_root(sock, &s->daemon_pid, s->root, sizeof(s->root));
}

static void describe(const struct mig_opts *o, const char *what,
		     const struct mig_side *s)
{
	if (!o->verbose)
		return;
	if (s->daemon_pid)
		log_info("%s daemon at %s: host UUID %s, pid %d visible here",
			 what, s->uri, s->host_uuid, (int)s->daemon_pid);
	else
		log_info("%s daemon at %s: host UUID %s", what, s->uri,
			 s->host_uuid);
}

/* What the watchdog names if @uri's daemon accepts but never answers. */
static void stage(const char *what, const char *uri)
{
	char w[600], fix[400];

	snprintf(w, sizeof(w), "the %s daemon at %s", what, uri);
	snprintf(fix, sizeof(fix), "it accepts connections but says nothing; "
		 "check that it runs and is not stopped (virsh -c %s uri), or "
		 "raise --connect-timeout", uri);
	mig_watchdog_stage(w, fix);
}

static int open_src(struct mig_ctx *c, struct ms_error *e)
{
	c->src.uri = c->o->connect;
	stage("source", c->src.uri);
	c->src.conn = virConnectOpen(c->src.uri);
	if (!c->src.conn)
		return ms_fail(e, PF, "cannot reach the source daemon at %s "
			       "(%s): start it or fix %s", c->src.uri,
			       mig_virt_error(), c->o->connect_from ?
			       c->o->connect_from : "-c");
	find_root(&c->src);
	if (host_uuid(&c->src, "source", e) < 0)
		return -1;
	describe(c->o, "source", &c->src);
	return 0;
}

/* With --p2p the client needs no destination connection; it opens one
 * anyway when it can (for the checks), through --dest-connect or a
 * desturi socket visible here. */
static bool dst_reachable_here(const struct mig_opts *o, const char *uri)
{
	char sock[PATH_MAX];
	struct stat st;

	if (mig_plan_flow(o) == MIG_FLOW_DIRECT || o->dest_connect)
		return true;
	return mig_daemon_socket(uri, sock, sizeof(sock)) &&
	       stat(sock, &st) == 0;
}

static int open_dst(struct mig_ctx *c, struct ms_error *e)
{
	const struct mig_opts *o = c->o;

	c->dst.uri = o->dest_connect ? o->dest_connect : o->desturi;
	if (!dst_reachable_here(o, c->dst.uri)) {
		if (o->verbose)
			log_info("destination %s is not visible from here: the "
				 "source daemon checks it", c->dst.uri);
		return 0;
	}
	stage("destination", c->dst.uri);
	c->dst.conn = virConnectOpen(c->dst.uri);
	if (!c->dst.conn)
		return ms_fail(e, PF, "cannot reach the destination daemon at "
			       "%s (%s): start it, its relay, or fix %s",
			       c->dst.uri, mig_virt_error(),
			       o->dest_connect ? "--dest-connect" : "--desturi");
	find_root(&c->dst);
	if (host_uuid(&c->dst, "destination", e) < 0)
		return -1;
	describe(o, "destination", &c->dst);
	if (!strcmp(c->src.host_uuid, c->dst.host_uuid))
		return ms_fail(e, PF, "both daemons report host UUID %s and "
			       "libvirt would refuse to migrate to the same "
			       "host: give each daemon its own host_uuid in "
			       "libvirtd.conf", c->src.host_uuid);
	return 0;
}

/* libvirt's docs: /etc/libvirt must never be shared between hosts. A
 * shared one usually shows as one host_uuid (same libvirtd.conf, caught
 * above); when both daemons are visible here, compare the directory. */
static int check_etc_shared(const struct mig_ctx *c, struct ms_error *e)
{
	char a[PATH_MAX], b[PATH_MAX];
	struct stat sa, sb;

	if (!c->src.root[0] || !c->dst.root[0]) {
		if (c->o->verbose)
			log_info("cannot see both daemons' /etc/libvirt from "
				 "here: relying on distinct host UUIDs");
		return 0;
	}
	snprintf(a, sizeof(a), "%s/etc/libvirt", c->src.root);
	snprintf(b, sizeof(b), "%s/etc/libvirt", c->dst.root);
	if (stat(a, &sa) < 0 || stat(b, &sb) < 0)
		return 0;
	if (sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino)
		return ms_fail(e, PF, "the source (pid %d) and destination "
			       "(pid %d) daemons share one /etc/libvirt, which "
			       "libvirt forbids: give each its own",
			       (int)c->src.daemon_pid, (int)c->dst.daemon_pid);
	if (c->o->verbose)
		log_info("each daemon has its own /etc/libvirt");
	return 0;
}

/* --- the domain ------------------------------------------------------ */

static int check_domain(struct mig_ctx *c, struct ms_error *e)
{
	const struct mig_opts *o = c->o;
	int state = 0, reason = 0;

	stage("source", c->src.uri);
	c->dom = mig_lookup_domain(c->src.conn, o->domain);
	if (!c->dom)
		return ms_fail(e, PF, "no domain %s on the source: check the "
			       "name with virsh -c %s list --all", o->domain,
			       c->src.uri);
	c->name = virDomainGetName(c->dom);
	c->dst_name = o->dname ? o->dname : c->name;
	if (virDomainGetState(c->dom, &state, &reason, 0) < 0)
		return ms_fail(e, PF, "cannot read the state of %s (%s)",
			       c->name, mig_virt_error());
	c->src_persistent = virDomainIsPersistent(c->dom) == 1;
	c->src_active = virDomainIsActive(c->dom) == 1;
	c->src_paused = state == VIR_DOMAIN_PAUSED;
	if (o->offline && !c->src_persistent)
		return ms_fail(e, PF, "%s is transient and --offline moves a "
			       "persistent definition: define it on the "
			       "source first, or migrate it live", c->name);
	if (!o->offline && !c->src_active)
		return ms_fail(e, PF, "%s is not running on the source: start "
			       "it, or move its definition with --offline "
			       "--persistent", c->name);
	if (mig_recover_check_src(o, state, reason, e) < 0)
		return -1;
	if (!o->offline && state != VIR_DOMAIN_RUNNING &&
	    state != VIR_DOMAIN_PAUSED)
		return ms_fail(e, PF, "%s is in state %d on the source, not "
			       "running or paused: resume or restart it",
			       c->name, state);
	return 0;
}

static int check_dst_domain(struct mig_ctx *c, struct ms_error *e)
{
	unsigned char su[VIR_UUID_BUFLEN], du[VIR_UUID_BUFLEN];
	char dus[VIR_UUID_STRING_BUFLEN];
	virDomainPtr d;

	if (!c->dst.conn)
		return 0;
	c->dst_known = true;
	d = virDomainLookupByName(c->dst.conn, c->dst_name);
	if (c->o->postcopy_resume) { /* the guest runs there, half-moved */
		int r = mig_recover_check_dst(c, d, e);
		if (d)
			virDomainFree(d);
		return r;
	}
	if (!d)
		return 0;
	bool active = virDomainIsActive(d) == 1;
	c->dst_had_config = virDomainIsPersistent(d) == 1;
	bool same = virDomainGetUUID(d, du) == 0 &&
		    virDomainGetUUID(c->dom, su) == 0 &&
		    !memcmp(su, du, sizeof(su));
	virDomainGetUUIDString(d, dus);
	virDomainFree(d);
	if (!same)
		return ms_fail(e, PF, "the destination already has another "
			       "domain named %s (UUID %s): undefine it there "
			       "or choose --dname", c->dst_name, dus);
	if (active && !c->o->offline)
		return ms_fail(e, PF, "%s already runs on the destination: "
			       "stop it there first", c->dst_name);
	return 0;
}

/* --- storage --------------------------------------------------------- */

/* A pool on the destination whose target directory holds @path: libvirt
 * then creates the missing image itself before copying. */
static bool pool_holds(virConnectPtr conn, const char *path)
{
	virStoragePoolPtr *pools = NULL;
	int n = virConnectListAllStoragePools(conn, &pools,
					      VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE);
	bool found = false;
	const char *slash = strrchr(path, '/');
	size_t dirlen = slash ? (size_t)(slash - path) : 0;

	for (int i = 0; i < n; i++) {
		char *xml = virStoragePoolGetXMLDesc(pools[i], 0);
		const char *t = xml ? strstr(xml, "<target>") : NULL;
		const char *p = t ? strstr(t, "<path>") : NULL;

		if (p && !found) {
			p += strlen("<path>");
			const char *pe = strstr(p, "</path>");
			found = pe && (size_t)(pe - p) == dirlen &&
				!strncmp(p, path, dirlen);
		}
		free(xml);
		virStoragePoolFree(pools[i]);
	}
	free(pools);
	return found;
}

static int disk_ok(const struct mig_opts *o, const struct mig_disk *d,
		   const char *how)
{
	if (o->verbose)
		log_info("destination disk %s (%s) %s", d->path, d->target, how);
	return 0;
}

static int check_dst_disk(const struct mig_ctx *c, const struct mig_disk *d,
			  struct ms_error *e)
{
	char seen[PATH_MAX * 2];
	struct stat st;
	virStorageVolPtr vol = virStorageVolLookupByPath(c->dst.conn, d->path);

	if (vol) {
		virStorageVolFree(vol);
		return disk_ok(c->o, d, "exists in a storage pool");
	}
	if (c->dst.root[0]) {
		snprintf(seen, sizeof(seen), "%s%s", c->dst.root, d->path);
		if (stat(seen, &st) == 0)
			return disk_ok(c->o, d, "exists");
	}
	/* libvirt pre-creates images in a pool for a full copy only. */
	if (c->o->copy_inc)
		return ms_fail(e, PF, "disk %s (%s) does not exist on the "
			       "destination, and libvirt creates no image for "
			       "--copy-storage-inc: create it there first "
			       "(qemu-img create -f %s %s SIZE)", d->path,
			       d->target, d->format[0] ? d->format : "qcow2",
			       d->path);
	if (pool_holds(c->dst.conn, d->path))
		return disk_ok(c->o, d, "will be created in its storage pool");
	if (!c->dst.root[0]) {
		if (c->o->verbose)
			log_info("cannot verify %s (%s) on the destination from "
				 "here", d->path, d->target);
		return 0;
	}
	return ms_fail(e, PF, "disk %s (%s) does not exist on the destination "
		       "and no storage pool there holds its directory: create "
		       "it there first (qemu-img create -f %s %s SIZE)",
		       d->path, d->target, d->format[0] ? d->format : "qcow2",
		       d->path);
}

static int check_storage(struct mig_ctx *c, struct ms_error *e)
{
	struct mig_disk disks[MIG_MAX_DISKS];
	char *xml;
	size_t n;
	int copied = 0;

	if (!mig_copies_storage(c->o) || !c->dst.conn)
		return 0;
	/* With --xml the destination opens the disks that file names. */
	if (c->o->dest_xml)
		xml = strdup(c->o->dest_xml);
	else
		xml = virDomainGetXMLDesc(c->dom, 0);
	if (!xml)
		return ms_fail(e, PF, "cannot read the definition of %s (%s)",
			       c->name, mig_virt_error());
	n = mig_xml_disks(xml, disks, ARRAY_SIZE(disks));
	free(xml);
	for (size_t i = 0; i < n; i++) {
		if (!mig_xml_disk_copied(&disks[i], c->o->migrate_disks))
			continue;
		copied++;
		if (disks[i].is_file && check_dst_disk(c, &disks[i], e) < 0)
			return -1;
	}
	if (!copied)
		return ms_fail(e, PF, "%s has no disk to copy%s%s: drop "
			       "--copy-storage-*, or fix --migrate-disks",
			       c->name, c->o->migrate_disks ? " among " : "",
			       c->o->migrate_disks ? c->o->migrate_disks : "");
	return 0;
}

/* --- post-copy ------------------------------------------------------- */

static int read_sysctl_int(const char *path)
{
	FILE *f = fopen(path, "re");
	int v = -1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int check_postcopy(const struct mig_opts *o, struct ms_error *e)
{
	int err = 0;

	if (!o->postcopy)
		return 0;
	long fd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		err = errno;
	else
		close((int)fd);
	int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
	if (dev >= 0)
		close(dev);
	int r = mig_plan_postcopy_verdict(err, geteuid() == 0,
		read_sysctl_int("/proc/sys/vm/unprivileged_userfaultfd"),
		dev >= 0, e);
	if (r > 0) {
		log_warn("%s", e->msg);
		return 0;
	}
	return r;
}

int mig_preflight(struct mig_ctx *c, const struct mig_opts *o,
		  struct ms_error *e)
{
	memset(c, 0, sizeof(*c));
	c->o = o;
	if (check_paths(o, e) < 0 || check_postcopy(o, e) < 0 ||
	    open_src(c, e) < 0 || open_dst(c, e) < 0 ||
	    check_etc_shared(c, e) < 0 || check_domain(c, e) < 0 ||
	    check_dst_domain(c, e) < 0 || check_storage(c, e) < 0)
		return -1;
	return 0;
}
