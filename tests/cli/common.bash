# common.bash: loaded by every tests/cli/*.bats file.
# Puts the built programs first on PATH; VALGRIND=1 runs each under valgrind
# (memcheck, errors are exit 99) through wrapper scripts.
bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
DATA=$ROOT/tests/data
BAD=$ROOT/tests/bad
PROGS="imgresize addnoise packtensor unpack daetrain daeinfer daeeval daemontage daedenoise"

if [ -n "${VALGRIND:-}" ]; then
	VGBIN=$BATS_RUN_TMPDIR/vgbin
	if [ ! -d "$VGBIN" ]; then
		mkdir -p "$VGBIN"
		for p in $PROGS; do
			[ -x "$ROOT/$p" ] || continue
			printf '#!/bin/sh\nexec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite "%s" "$@"\n' \
				"$ROOT/$p" > "$VGBIN/$p"
			chmod +x "$VGBIN/$p"
		done
	fi
	PATH=$VGBIN:$ROOT:$PATH
else
	PATH=$ROOT:$PATH
fi
export PATH

# mkrecord TYPE NAME DIM... : one tensor(5) record on stdout whose payload is
# the byte (or f32 value) i % 251 for element i.
mkrecord() {
	perl -e '
		my ($type, $name, @d) = @ARGV;
		my $n = 1; $n *= $_ for @d;
		print "TNSR", pack("CCCCvv", 1, $type eq "f32" ? 2 : 1, scalar @d, 0, length $name, 0);
		print pack("V*", @d), $name;
		print $type eq "f32" ? pack("f<*", map { $_ % 251 } 0..$n-1)
		                     : pack("C*", map { $_ % 251 } 0..$n-1);
	' "$@"
}

# mkvals TYPE NAME H W C V... : one record whose elements are V..., cycled
mkvals() {
	perl -e '
		my ($type, $name, $h, $w, $c, @v) = @ARGV;
		my $n = $h * $w * $c;
		print "TNSR", pack("CCCCvv", 1, $type eq "f32" ? 2 : 1, 3, 0, length $name, 0);
		print pack("V*", $h, $w, $c), $name;
		my @x = map { $v[$_ % @v] } 0..$n-1;
		print $type eq "f32" ? pack("f<*", @x) : pack("C*", @x);
	' "$@"
}

# mkppm W H : a binary PPM whose bytes are i % 251
mkppm() {
	perl -e 'my ($w,$h)=@ARGV; print "P6\n$w $h\n255\n", pack("C*", map { $_ % 251 } 0..$w*$h*3-1)' "$@"
}

# synopsis PROG : the SYNOPSIS of PROG's man page on one line, without the name
synopsis() {
	mandoc -T ascii "$ROOT/man/man1/$1.1" | perl -pe 's/.\x08//g' |
		sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' | tr -s ' \n' ' ' |
		sed "s/^ $1 //; s/ \$//"
}

# usage_matches_man PROG : the usage line of --help (its first line) is the
# man page SYNOPSIS
usage_matches_man() {
	local usage
	usage=$("$1" --help | head -n 1)
	[ "${usage#usage: $1 }" = "$(synopsis "$1")" ]
}
