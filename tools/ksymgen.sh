#!/bin/sh
# Reads `nm -n --defined-only` output on stdin and writes an assembly file with the kernel's
# text symbols (sorted by address) for backtraces: ksym_count, ksym_addrs[], ksym_name_offsets[]
# and the packed ksym_names string table. Empty input gives an empty table (first link pass).
awk 'BEGIN { n = 0 }
$2 ~ /^[tTwW]$/ && $1 ~ /^ffffffff8/ && $3 !~ /^\./ {
	addr[n] = $1; name[n] = $3; n++
}
END {
	print "\t.section .ksyms, \"a\""
	print "\t.balign 8"
	print "\t.global ksym_count, ksym_addrs, ksym_name_offsets, ksym_names"
	print "ksym_count:\n\t.quad " (n + 0)
	print "ksym_addrs:"
	for (i = 0; i < n; i++) print "\t.quad 0x" addr[i]
	print "ksym_name_offsets:"
	off = 0
	for (i = 0; i < n; i++) { print "\t.long " off; off += length(name[i]) + 1 }
	print "ksym_names:"
	for (i = 0; i < n; i++) print "\t.asciz \"" name[i] "\""
}'
