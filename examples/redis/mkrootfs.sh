#!/bin/sh
# Builds a minimal redis rootfs in DIR from Debian's redis-server and redis-tools: the two
# binaries, the libraries ldd lists and the dynamic loader, /etc/passwd with a redis user and an
# empty /data. Nothing is downloaded: a missing package is an error naming the apt-get command.
set -eu
usage="usage: $0 DIR   (build a redis rootfs in DIR; it is replaced if it exists)"
[ $# -eq 1 ] && [ -n "$1" ] || { echo "$usage" >&2; exit 125; }
case $1 in -h | --help) echo "$usage"; exit 0 ;; esac
dest=$1
[ "$(id -u)" -eq 0 ] || { echo "mkrootfs: needs root (chown of /data, chroot to check the result)" >&2; exit 125; }
# The uid/gid of the redis user in the rootfs: the owner of the /data bind mount.
REDIS_UID=${REDIS_UID:-999}
for bin in /usr/bin/redis-server /usr/bin/redis-cli; do
    [ -x "$bin" ] || {
        echo "mkrootfs: $bin not found (apt-get install redis-server redis-tools)" >&2
        exit 125
    }
done
command -v ldd >/dev/null || { echo "mkrootfs: ldd not found (apt-get install libc-bin)" >&2; exit 125; }

tmp=$dest.tmp.$$
trap 'rm -rf "$tmp"' EXIT
rm -rf "$tmp"
mkdir -p "$tmp"/usr/bin "$tmp"/etc "$tmp"/proc "$tmp"/sys "$tmp"/dev "$tmp"/tmp "$tmp"/run \
    "$tmp"/data
chmod 1777 "$tmp"/tmp
# /usr/bin/redis-server is a symlink to redis-check-rdb (one binary, chosen by argv[0]): copy
# the file itself under the server's name.
cp -L /usr/bin/redis-server "$tmp"/usr/bin/redis-server
cp -L /usr/bin/redis-cli "$tmp"/usr/bin/redis-cli

# Every library at the path ldd resolved it to (the loader finds them there without an
# ld.so.cache: /lib/x86_64-linux-gnu is one of Debian's built-in search dirs), and the loader
# at the path written in the binaries' PT_INTERP.
libs=$(ldd /usr/bin/redis-server /usr/bin/redis-cli |
    sed -n -e 's/.*=> \(\/[^ ]*\) (0x.*/\1/p' -e 's/^[[:space:]]*\(\/[^ ]*\) (0x.*/\1/p' | sort -u)
[ -n "$libs" ] || { echo "mkrootfs: ldd listed no libraries for redis-server" >&2; exit 125; }
for lib in $libs; do
    mkdir -p "$tmp$(dirname "$lib")"
    cp -L "$lib" "$tmp$lib"
done

printf 'root:x:0:0:root:/root:/nonexistent\nredis:x:%s:%s:redis:/data:/nonexistent\n' \
    "$REDIS_UID" "$REDIS_UID" >"$tmp"/etc/passwd
printf 'root:x:0:\nredis:x:%s:\n' "$REDIS_UID" >"$tmp"/etc/group
: >"$tmp"/etc/hosts
: >"$tmp"/etc/resolv.conf
echo redis >"$tmp"/etc/hostname
chown "$REDIS_UID:$REDIS_UID" "$tmp"/data

# It must run: the loader finds every library inside the rootfs alone.
chroot "$tmp" /usr/bin/redis-server --version >/dev/null ||
    { echo "mkrootfs: redis-server does not run in $tmp" >&2; exit 125; }
chroot "$tmp" /usr/bin/redis-cli --version >/dev/null ||
    { echo "mkrootfs: redis-cli does not run in $tmp" >&2; exit 125; }
rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "$tmp" "$dest"
trap - EXIT
echo "redis rootfs in $dest ($(du -sh "$dest" | cut -f1))"
