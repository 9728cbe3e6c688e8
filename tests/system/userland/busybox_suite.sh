#!/bin/sh
# The busybox command suite, run by busybox's sh: as PID 1 inside Ferrite (rdinit=), and on
# the host Linux first (BB_HOST=1) to validate the expectations. Prints one line per check,
# "BB PASS name" or "BB FAIL name: why", "BB VALUE name text" lines that the host compares
# with its own run, and "BB DONE"; inside Ferrite it then powers off.
export PATH=${BB_PATH:-/bin:/sbin:/usr/bin:/usr/sbin}
host=${BB_HOST:-}
W=${BB_TMP:-/tmp}/bbsuite.$$
rm -rf "$W"
mkdir -p "$W"
cd "$W" || exit 1

ok() { echo "BB PASS $1"; }
no() { echo "BB FAIL $1: $2"; }
expect() { # name expected actual
	if [ "$2" = "$3" ]; then ok "$1"; else no "$1" "expected '$2', got '$3'"; fi
}
value() { echo "BB VALUE $1 $2"; }
ferrite() { [ -z "$host" ]; }

if ferrite; then
	mount -t tmpfs tmpfs /tmp 2> /dev/null
	mkdir -p "$W" && cd "$W"
fi

# ---- pipelines and redirections ----
expect pipeline 3 "$(printf 'a\nb\nc\n' | cat | cat | wc -l)"
echo hello > f
echo there >> f
expect redirect_append 2 "$(wc -l < f)"
expect redirect_stderr 1 "$(ls /nonexistent-dir 2>&1 > /dev/null | grep -c nonexistent-dir)"
cat > heredoc.txt << EOF
line one
line two
EOF
expect heredoc "line two" "$(tail -n 1 heredoc.txt)"
exec 3> fd3.txt
echo via-fd3 >&3
exec 3>&-
expect redirect_fd3 via-fd3 "$(cat fd3.txt)"

# ---- files and text tools ----
printf 'abcde' > five
chmod 640 five
expect ls_l "-rw-r----- 5 five" "$(ls -l five | awk '{print $1, $5, $NF}')"
mkdir -p dir/sub
touch dir/a dir/sub/b
expect ls_dir "a sub" "$(ls dir | tr '\n' ' ' | sed 's/ $//')"
expect cat_concat "hello there abcde" "$(cat f five | tr '\n' ' ')"
printf 'apple\nbanana\ncherry\navocado\n' > fruit
expect grep_count 2 "$(grep -c '^a' fruit)"
expect grep_v "banana cherry" "$(grep -v '^a' fruit | tr '\n' ' ' | sed 's/ $//')"
expect grep_E "banana cherry" "$(grep -E 'an|rr' fruit | tr '\n' ' ' | sed 's/ $//')"
expect sed_subst "hello ferrite" "$(echo hello world | sed 's/world/ferrite/')"
expect sed_inplace "APPLE" "$(sed -i 's/apple/APPLE/' fruit && head -n 1 fruit)"
expect awk_sum 5050 "$(seq 1 100 | awk '{ s += $1 } END { print s }')"
expect awk_fields "b:2" "$(echo 'a 1;b 2' | awk -F';' '{ split($2, x, " "); print x[1] ":" x[2] }')"
expect sort_uniq "2a 2b 1c" "$(printf 'b\na\nb\nc\na\n' | sort | uniq -c | awk '{ printf "%s%s ", $1, $2 }' | sed 's/ $//')"
expect sort_n "2 10 33" "$(printf '33\n2\n10\n' | sort -n | tr '\n' ' ' | sed 's/ $//')"
expect wc_words 3 "$(printf 'one two\nthree\n' | wc -w)"
expect wc_bytes 14 "$(printf 'one two\nthree\n' | wc -c)"
mkdir -p tree/x/y tree/z
echo 1 > tree/x/one.txt
echo 2 > tree/x/y/two.txt
echo 3 > tree/z/three.log
expect find_type "tree/x/one.txt tree/x/y/two.txt tree/z/three.log" "$(find tree -type f | sort | tr '\n' ' ' | sed 's/ $//')"
expect find_name "tree/z/three.log" "$(find tree -name '*.log')"
expect xargs_cat "1 2 3" "$(find tree -type f | sort | xargs cat | tr '\n' ' ' | sed 's/ $//')"
expect xargs_n 3 "$(echo 1 2 3 | xargs -n 1 echo | wc -l)"

# ---- tar and gzip round trips ----
mkdir -p data/deep
seq 1 20000 > data/numbers
awk 'BEGIN { for (i = 0; i < 3000; i++) printf "row %d %x %o\n", i, i * 7919, i * 31 }' > data/deep/rows
printf 'small\n' > data/deep/small
sums=$(cd data && find . -type f | sort | xargs sha256sum)
value data_sha256 "$(echo "$sums" | sha256sum | cut -d' ' -f1)"
tar czf data.tgz data
mkdir out
(cd out && tar xzf ../data.tgz)
expect tar_roundtrip "$sums" "$(cd out/data && find . -type f | sort | xargs sha256sum)"
expect tar_list 5 "$(tar tzf data.tgz | wc -l)"
gzip -c data/numbers > numbers.gz
value gunzip_sha256 "$(gunzip -c numbers.gz | sha256sum | cut -d' ' -f1)"
expect gzip_roundtrip "$(sha256sum < data/numbers)" "$(gunzip -c numbers.gz | sha256sum)"
cp data/deep/rows rows && gzip -9 rows && gunzip rows.gz
expect gzip_files "$(sha256sum < data/deep/rows)" "$(sha256sum < rows)"

# ---- processes: background jobs, wait, ps, kill, pidof, sleep ----
(sleep 1; echo a > job1) &
(echo b > job2) &
wait
expect bg_wait "a b" "$(cat job1 job2 | tr '\n' ' ' | sed 's/ $//')"
sleep 30 &
sp=$!
sleep 1
expect ps_lists_sleep "sleep 30" "$(ps | awk -v p="$sp" '$1 == p { print $(NF - 1), $NF }')"
expect ps_lists_shell 1 "$(ps | awk -v p="$$" '$1 == p' | wc -l)"
case " $(pidof sleep) " in *" $sp "*) ok pidof ;; *) no pidof "pidof sleep gave '$(pidof sleep)', not $sp" ;; esac
expect top_batch 1 "$(top -b -n 1 | awk -v p="$sp" '$1 == p && /sleep 30/' | wc -l)"
expect top_header 1 "$(top -b -n 1 | grep -c '^Mem:')"
kill "$sp"
wait "$sp"
expect kill_status 143 "$?"
expect ps_after_kill 0 "$(ps | awk -v p="$sp" '$1 == p' | wc -l)"
sleep 30 &
sp=$!
kill -9 "$sp"
wait "$sp"
expect kill_9_status 137 "$?"
t0=$(date +%s)
sleep 2
t1=$(date +%s)
dt=$((t1 - t0))
if [ "$dt" -ge 1 ] && [ "$dt" -le 4 ]; then ok sleep_duration; else no sleep_duration "slept ${dt}s for 2"; fi

# ---- system information ----
expect date_epoch 1970-01-01 "$(date -u -d @0 +%Y-%m-%d)"
year=$(date +%Y)
if [ "$year" -ge 2024 ]; then ok date_now; else no date_now "year $year"; fi
expect free_rows "Mem:" "$(free | awk 'NR == 2 { print $1 }')"
total=$(free | awk 'NR == 2 { print $2 }')
if [ "${total:-0}" -gt 0 ]; then ok free_total; else no free_total "total '$total'"; fi
expect uptime_load 1 "$(uptime | grep -c 'load average')"
expect mount_proc 1 "$(mount | grep -c ' on /proc type proc')"
if ferrite; then
	mkdir -p /mnt/t
	mount -t tmpfs tmpfs /mnt/t && echo x > /mnt/t/x
	expect mount_tmpfs 1 "$(mount | grep -c ' on /mnt/t type tmpfs')"
	umount /mnt/t
	expect umount_tmpfs 0 "$(mount | grep -c ' on /mnt/t ')"
	expect dmesg_boot 1 "$(dmesg | grep -c 'procfs: mounted at /proc')"
	expect dmesg_format 1 "$(dmesg | head -n 1 | grep -c '^\[ *[0-9]*\.[0-9]*\] ')"
fi
expect watch_runs 1 "$(timeout 3 watch -t -n 1 echo watch-tick 2> /dev/null | grep -c -m 1 watch-tick)"

# ---- /proc per process ----
expect proc_stat_fields 52 "$(awk '{ print NF }' /proc/self/stat)"
expect proc_stat_pid "$$" "$(cut -d' ' -f1 /proc/$$/stat)"
expect proc_status_pid "$$" "$(awk '$1 == "Pid:" { print $2 }' /proc/$$/status)"
expect proc_status_name "cat" "$(cat /proc/self/status | awk '$1 == "Name:" { print $2 }' | head -n 1)"
expect proc_status_ppid "$$" "$(sh -c 'awk "\$1 == \"PPid:\" { print \$2 }" /proc/$$/status')"
expect proc_cmdline "cat /proc/self/cmdline" "$(cat /proc/self/cmdline | tr '\0' ' ' | sed 's/ $//')"
expect proc_environ "BBVAR=42" "$(BBVAR=42 cat /proc/self/environ | tr '\0' '\n' | grep '^BBVAR=')"
expect proc_exe "${BB_EXE:-/bin/busybox}" "$(readlink /proc/self/exe)"
expect proc_cwd "$W" "$(readlink /proc/self/cwd)"
expect proc_cwd_dir "$(ls "$W" | head -n 3)" "$(ls /proc/self/cwd/ | head -n 3)"
expect proc_fd_pipe 1 "$(readlink /proc/self/fd/1 | grep -c '^pipe:\[[0-9]*\]$')"
expect proc_fd_file "$W/f" "$(readlink /proc/self/fd/0 < f)"
expect proc_maps_exe 1 "$(grep -c -m 1 " ${BB_EXE:-/bin/busybox}\$" /proc/self/maps)"
expect proc_maps_stack 1 "$(grep -c '\[stack\]$' /proc/self/maps)"
expect proc_statm_fields 7 "$(awk '{ print NF }' /proc/self/statm)"
expect proc_comm sleep "$(sleep 5 & p=$!; sleep 1; cat /proc/$p/comm; kill $p)"
sleep 0 &
gone=$!
wait
if [ -e /proc/$gone ] || cat /proc/$gone/stat > /dev/null 2>&1; then no proc_gone "/proc/$gone still there"; else ok proc_gone; fi
expect proc_self_link "$$" "$(sh -c 'echo $$; readlink /proc/self' | awk 'NR == 1 { a = $1 } NR == 2 { print ($1 == a) ? "'$$'" : "x" }')"
expect proc_task "$$" "$(ls /proc/$$/task)"
expect proc_listing 1 "$(ls /proc | grep -c "^$$\$")"

# ---- a script with functions, loops and trap ----
cat > script.sh << 'EOF'
double() { echo $(($1 * 2)); }
i=0
s=0
while [ $i -lt 10 ]; do
	s=$((s + $(double $i)))
	i=$((i + 1))
done
for w in a b c; do printf %s $w; done
echo
trap 'echo trapped USR1' USR1
kill -USR1 $$
trap 'echo exiting' EXIT
case $s in 90) echo sum=$s ;; *) echo bad sum ;; esac
EOF
expect script "abc trapped USR1 sum=90 exiting" "$(sh script.sh | tr '\n' ' ' | sed 's/ $//')"

cd /
rm -rf "$W"
echo "BB DONE"
if ferrite; then
	poweroff -f
fi
