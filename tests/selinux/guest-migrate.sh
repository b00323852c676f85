#!/bin/sh
# shellcheck shell=sh
# tests/selinux/guest-migrate.sh - live migrations between two real
# libvirtd under the enforcing policy, sourced by guest-init (PID 1,
# kernel_t) after the label checks.
#
# It builds a second root, /mroot: this host's /usr over 9p (read-only,
# one share per directory, each mounted with the type the policy gives it:
# bin_t, lib_t, usr_t), a tmpfs for the rest labelled by the policy's file
# contexts. libvirtd and qemu-system-x86_64 are copies labelled by
# setfiles (virtd_exec_t, qemu_exec_t) bound over their 9p files: a 9p
# mount carries one type. Then guest-migrate-run.sh runs there.

M=/mroot
FC=/etc/selinux/default/contexts/files/file_contexts

migrate_setup() {
	mkdir -p $M
	mount -t tmpfs -o mode=0755,fscontext=system_u:object_r:fs_t:s0 mroot $M
	mkdir -p $M/usr/bin $M/usr/sbin $M/usr/lib $M/usr/share $M/usr/libexec \
		$M/usr/lib64 $M/usr/local/bin $M/usr/local/sbin $M/usr/local/share/migsock \
		$M/etc $M/proc $M/sys $M/dev $M/tmp $M/log $M/root \
		$M/run/migsock/src $M/run/migsock/dst $M/etc/libvirt $M/var/lib/libvirt \
		$M/var/log/libvirt $M/var/cache/libvirt $M/opt/lbl/usr/sbin $M/opt/lbl/usr/bin
	for _d in bin sbin lib; do ln -s usr/$_d $M/$_d; done
	ln -s usr/lib64 $M/lib64
	ln -s ../run $M/var/run
	cp /lib64/ld-linux-x86-64.so.2 $M/usr/lib64/
	cp -a /etc/selinux /etc/alternatives /etc/ld.so.cache $M/etc/
	cp /usr/local/bin/migsock-relay /usr/local/bin/migsock-bind /usr/local/bin/migsock-migrate \
		$M/usr/local/bin/ 2>/dev/null
	cp /usr/local/share/migsock/migration.layout $M/usr/local/share/migsock/
	cp /usr/local/libexec/migsock-test/sockcheck $M/usr/local/bin/
	cp /guest-migrate-run.sh $M/
	cp -a /disks $M/disks
	printf '%s\n' 'root:x:0:0:root:/root:/bin/bash' \
		'libvirt-qemu:x:64055:64055:Libvirt Qemu:/var/lib/libvirt:/usr/sbin/nologin' \
		'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin' >$M/etc/passwd
	printf '%s\n' 'root:x:0:' 'kvm:x:104:' 'libvirt:x:105:' 'libvirt-qemu:x:64055:' \
		'nogroup:x:65534:' >$M/etc/group
	printf 'passwd: files\ngroup: files\nhosts: files\n' >$M/etc/nsswitch.conf
	printf '127.0.0.1 localhost\n' >$M/etc/hosts
	echo migsock-selinux-guest >$M/etc/hostname
	setfiles -r $M $FC $M || result fail mig-setfiles "setfiles exited $?"

	# 9p shares (run-guest): bin, sbin, libexec bin_t; lib lib_t; share usr_t.
	for _s in bin:bin_t sbin:bin_t libexec:bin_t lib:lib_t share:usr_t; do
		_d=${_s%%:*} _t=${_s#*:}
		mount -t 9p -o "trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose,context=system_u:object_r:$_t:s0" \
			"usr$_d" "$M/usr/$_d" || { result fail mig-9p "mount of /usr/$_d failed"; return 1; }
	done

	# The programs whose type decides a domain: labelled copies, by the
	# policy's file contexts for their real paths.
	cp $M/usr/sbin/libvirtd $M/opt/lbl/usr/sbin/
	cp $M/usr/bin/qemu-system-x86_64 $M/opt/lbl/usr/bin/
	setfiles -r $M/opt/lbl $FC $M/opt/lbl
	mount --bind $M/opt/lbl/usr/sbin/libvirtd $M/usr/sbin/libvirtd
	mount --bind $M/opt/lbl/usr/bin/qemu-system-x86_64 $M/usr/bin/qemu-system-x86_64
	# The test's init: tini, entered through init_exec_t as the kernel
	# enters a real init; it starts the daemons and relays as init would
	# (the policy's own transitions to virtd_t and migsock_t).
	cp $M/usr/bin/tini-static $M/usr/local/sbin/init
	chcon -t init_exec_t $M/usr/local/sbin/init

	mount --rbind /proc $M/proc
	mount --rbind /sys $M/sys
	mount --rbind /dev $M/dev
	mount -t tmpfs -o mode=0755,context=system_u:object_r:migsock_test_log_t:s0 log $M/log
	result pass mig-root "$M: /usr over 9p, libvirtd $(/usr/local/libexec/migsock-test/sockcheck filecon $M/usr/sbin/libvirtd), qemu $(/usr/local/libexec/migsock-test/sockcheck filecon $M/usr/bin/qemu-system-x86_64)"
}

migrate_teardown() {
	umount -l $M 2>/dev/null
}

if migrate_setup; then
	chroot $M /usr/bin/bash /guest-migrate-run.sh
fi
migrate_teardown
