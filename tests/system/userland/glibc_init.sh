#!/bin/sh
# PID 1 of tests/system/userland/glibc.sh: Debian's glibc-linked dash and ls (with their own
# ld-linux-x86-64.so.2 and libraries) and a musl-gcc dynamic program, run inside Ferrite.
# Prints "GL name: output" lines for the host to compare, then powers off.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin LC_ALL=C TZ=UTC
/glibc/dash -c 'echo "GL dash_arith: $((6 * 7))"; for i in 1 2 3; do printf "%s," $i; done | sed "s/^/GL dash_loop: /"; echo'
/glibc/dash -c 'f() { echo "$1-$1"; }; x=$(f ab); case $x in ab-ab) echo "GL dash_func: ok" ;; *) echo "GL dash_func: $x" ;; esac'
/glibc/dash -c 'read a b << EOT
first second
EOT
echo "GL dash_read: $b $a"; trap "echo GL dash_trap: exit" EXIT'
echo "GL dash_status: $(/glibc/dash -c 'exit 7'; echo $?)"
echo "GL dash_exe: $(/glibc/dash -c 'readlink /proc/$$/exe')"
# A directory with fixed contents and times, listed by glibc's ls.
mkdir -p /k/sub
printf 'abc' > /k/a
printf '0123456789' > /k/b
chmod 600 /k/a
chmod 755 /k/sub
ln -s a /k/link
touch -h -d '2023-11-14 22:13:20' /k/a /k/b /k/sub /k/link
/glibc/ls -l --time-style=long-iso /k | awk 'NR > 1 { $2 = $3 = $4 = ""; print "GL ls_l:" $0 }'
echo "GL ls_total: $(/glibc/ls -l /k | head -n 1 | cut -d' ' -f1)"
echo "GL ls_plain: $(/glibc/ls /k | tr '\n' ' ')"
echo "GL ls_status: $(/glibc/ls /nonexistent > /dev/null 2>&1; echo $?)"
echo "GL dynhello: $(/bin/dynhello)"
echo "GL DONE"
poweroff -f
