# Sourced by udhcpc.sh and udhcpc_tap.sh (after lib.sh; not a test itself: no .sh suffix): the
# checks on what udhcpc.rc printed in $LOG.
#   dh_rootfs OUT.cpio.gz       busybox rootfs with udhcpc.rc as /dhtest and udhcpc.script
#   dh_section NAME             the lines between "dhtest: NAME" and "dhtest: NAME-end"
#   dh_check_re CHECK SECTION REGEX WHY
#   dh_check_common IP PREFIX   powered off, lease, eth0 has IP with the /24 broadcast PREFIX.255,
#                               busybox arping of the gateway, the background client's events (bound, renew on SIGUSR1,
#                               deconfig on SIGUSR2) and no address after the release
dh_rootfs() {
	sh "$ROOT/tools/mkrootfs.sh" "$1" "$ROOT/tests/system/net/udhcpc.rc:/dhtest" \
		"$ROOT/tests/system/net/udhcpc.script:/udhcpc.script"
}

dh_section() { log_text | sed -n "/^dhtest: $1\$/,/^dhtest: $1-end\$/p"; }

dh_check_re() {
	if dh_section "$2" | grep -qE -- "$3"; then pass "$1"; else fail "$1" "$4 (log: $LOG)"; fi
}

dh_check_common() {
	local ip=$1 prefix=$2
	local ip_re=${ip//./\\.} prefix_re=${prefix//./\\.}
	if [ "$QEMU_RC" -eq 0 ] && log_text | grep -qxF "dhtest: end"; then pass powered_off; else
		fail powered_off "QEMU status $QEMU_RC, or the script did not finish (log: $LOG)"; fi
	if log_text | grep -qxF "dhtest: udhcpc 0"; then pass lease; else
		fail lease "udhcpc -n -q did not end with a lease (log: $LOG)"; fi
	dh_check_re address ifconfig "inet addr:$ip_re +Bcast:$prefix_re\\.255 +Mask:255\\.255\\.255\\.0" \
		"eth0 lacks $ip/24"
	if log_text | grep -qxF "dhtest: arping 0" && log_text | grep -qE '^Received 2 response\(s\)'; then
		pass arping; else fail arping "busybox arping (an AF_PACKET socket) did not get 2 replies (log: $LOG)"; fi
	local events
	events=$(dh_section events | grep -E '^(deconfig|bound|renew) ' | cut -d' ' -f1,2 | tr '\n' ' ')
	if [ "$events" = "deconfig ip= bound ip=$ip renew ip=$ip deconfig ip= " ]; then
		pass renew_release; else
		fail renew_release "background udhcpc events were '$events', not deconfig, bound, renew (SIGUSR1), deconfig (SIGUSR2) (log: $LOG)"; fi
	if dh_section after-release | grep -q 'inet addr:'; then
		fail released_address "eth0 kept its address after the release (log: $LOG)"; else pass released_address; fi
}
