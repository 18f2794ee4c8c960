#!/usr/bin/env bats
# --help of every program: every option of its man page and of its getopt
# table is listed

load common

# lists_every_option PROG : the lines of PROG --help after the usage line
# name each option that the OPTIONS section of its man page gives (.It Fl
# ...), and each short and long option its getopt_long call takes, which
# the man page must give too
lists_every_option() {
	local p=$1 o l man=$ROOT/man/man1/$1.1 missing=
	run -0 --separate-stderr "$p" --help
	[ -z "$stderr" ]
	assert_line --index 0 --partial "usage: $p"
	output=$(sed 1d <<< "$output")
	for o in $(sed -n '/^\.Sh OPTIONS/,/^\.Sh /s/^\.It //p' "$man" |
	           grep -o 'Fl [^ ]*' | sed 's/^Fl /-/'); do
		grep -qE -- "(^|[ ,])$o([ ,=]|$)" <<< "$output" || missing="$missing $o"
	done
	# the getopt table: short letters from the option string, long names
	# from the struct option array
	for l in $(grep -o 'getopt_long(argc, argv, "[^"]*"' "$ROOT/cmd/$p.c" |
	           sed 's/.*"\(.*\)"/\1/' | tr -d ':' | fold -w1); do
		grep -qE -- "(^|[ ,])-$l([ ,]|$)" <<< "$output" || missing="$missing -$l"
		grep -q "^\.It .*Fl $l\( \|$\)" "$man" || missing="$missing -$l(man)"
	done
	for l in $(grep -o '{ "[a-z0-9-]*", [a-z_]*_argument' "$ROOT/cmd/$p.c" | cut -d'"' -f2); do
		grep -qE -- "(^|[ ,])--$l([ ,=]|$)" <<< "$output" || missing="$missing --$l"
		grep -q "^\.It .*Fl -$l\( \|$\)" "$man" || missing="$missing --$l(man)"
	done
	[ -z "$missing" ] || { echo "$p --help or man page misses:$missing"; false; }
}

@test "addnoise --help lists every option" { lists_every_option addnoise; }
@test "daeconvert --help lists every option" { lists_every_option daeconvert; }
@test "daedenoise --help lists every option" { lists_every_option daedenoise; }
@test "daeeval --help lists every option" { lists_every_option daeeval; }
@test "daeinfer --help lists every option" { lists_every_option daeinfer; }
@test "daemontage --help lists every option" { lists_every_option daemontage; }
@test "daetrain --help lists every option" { lists_every_option daetrain; }
@test "imgresize --help lists every option" { lists_every_option imgresize; }
@test "packtensor --help lists every option" { lists_every_option packtensor; }
@test "unpack --help lists every option" { lists_every_option unpack; }

@test "a usage error prints the usage line only" {
	run -2 --separate-stderr addnoise --no-such-option
	[ -z "$output" ]
	[ "$(grep -c . <<< "$stderr")" -eq 2 ]
}
