#!/bin/sh
# Describes the tree under $1, one sorted line per name: directories (mode, links), files (mode,
# links, size, mtime) and their SHA-256, symlinks and their targets. lost+found is left out.
# The system tests run it with busybox on the host and inside Ferrite; the outputs must match.
cd "$1" || exit 1
{
	find . -mindepth 1 -path ./lost+found -prune -o -type d -exec stat -c 'D|%n|%a|%h' {} +
	find . -path ./lost+found -prune -o -type f -exec stat -c 'F|%n|%a|%h|%s|%Y' {} +
	find . -path ./lost+found -prune -o -type l -exec stat -c 'L|%n|%N' {} +
	find . -path ./lost+found -prune -o -type f -exec sha256sum {} +
} | LC_ALL=C sort
