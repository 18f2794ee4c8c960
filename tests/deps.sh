#!/bin/sh
# tests/deps.sh: make check-deps. lib/ is one folder per part, and its
# dependencies point one way (lib/README.md): the public API (api) uses the
# network, images, I/O and kernels; the network uses images, I/O and
# kernels; images use I/O and kernels; I/O and kernels use nothing else
# of lib/. Every quoted #include under lib/ is held to the parts its folder
# may use, and none leaves lib/; a source file directly in lib/ is in no
# part. (Objects are not looked at: a checkout built before lib/ had
# folders keeps its old lib/*.o.) Prints each offence as file:line: and
# exits 1 if there was one.
cd "$(dirname "$0")/.." || exit 2
uses() {
	case $1 in
	io)     echo io ;;
	kernel) echo kernel ;;
	image)  echo image io kernel ;;
	nn)     echo nn image io kernel ;;
	api)    echo api nn image io kernel ;;
	*)      return 1 ;;
	esac
}
bad=0
for f in lib/*.c lib/*.h; do
	[ -e "$f" ] || continue
	echo "$f: not in a part's folder"
	bad=1
done
for f in lib/*/*; do
	part=${f#lib/}
	part=${part%%/*}
	if ! allowed=$(uses "$part"); then
		echo "$f: lib/$part is not a known part (tests/deps.sh)"
		bad=1
		continue
	fi
	case $f in *.c|*.h) ;; *) continue ;; esac
	while read -r line inc; do
		case $inc in
		../*/*)
			dep=${inc#../}
			dep=${dep%%/*}
			case $inc in ../*/*/*) dep= ;; esac ;;
		*/*) dep= ;;
		*) dep=$part ;;
		esac
		ok=0
		for a in $allowed; do
			[ "$dep" = "$a" ] && ok=1
		done
		if [ $ok -eq 0 ]; then
			echo "$f:$line: lib/$part may not include \"$inc\" (it may use: $allowed)"
			bad=1
		fi
	done <<-EOF
	$(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
	sed 's/^\([0-9]*\):[^"]*"\([^"]*\)".*/\1 \2/')
	EOF
done
exit $bad
