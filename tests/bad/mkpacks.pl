#!/usr/bin/perl
# mkpacks.pl DIR: write small packs (pack(5)), one per defect, into DIR.
#
# A second, independent writer of the format, in plain Perl (perl-base only:
# CRC-32, Adler-32 and zlib stored blocks are done here, not by a module), so
# that the files do not depend on any zlib's deflate. The base is a valid pack
# of three 2 x 2 x 3 u8 samples "a", "b", "c", one per chunk, no filter,
# zlib level 0; pack_ok_stored.pack is that base, and every other file is the
# base with one defect, its CRCs fixed where the defect must get past them.
# The committed files in tests/bad and tests/data are this script's output;
# tests/cli/packtensor.bats checks that they still are.
use strict;
use warnings;

my $dir = shift // die "usage: mkpacks.pl DIR\n";

use FindBin;
require "$FindBin::Bin/crc32.pl";

sub adler32 {
	my ($a, $b) = (1, 0);
	for (unpack 'C*', $_[0]) {
		$a = ($a + $_) % 65521;
		$b = ($b + $a) % 65521;
	}
	return ($b << 16) | $a;
}

# RFC 1950 header for level 0, one final stored block, Adler-32 big-endian
sub zstored {
	my ($d) = @_;
	return "\x78\x01" . pack('Cvv', 1, length $d, ~length($d) & 0xffff) . $d .
	    pack('N', adler32($d));
}

my @names = qw(a b c);
my @payloads = map { my $i = $_; pack 'C*', map { ($_ * 20 + $i * 7) % 256 } 0 .. 11 } 0 .. 2;

# the base pack as its parts, so a defect can be put in any of them
sub parts {
	my @chunks = map { zstored($_) } @payloads;
	return { chunks => \@chunks, crcs => [ map { crc32($_) } @chunks ],
	         names => [@names], count => 3, k => 1, version => 1 };
}

sub assemble {
	my ($p, %fix) = @_;
	my $head = 'PAKT' . pack('C4', $p->{version}, 0, 0, 0);
	my ($body, @entries) = ('');
	my $off = length $head;
	for my $i (0 .. $#{ $p->{chunks} }) {
		my $c = $p->{chunks}[$i];
		push @entries, pack('Q<Q<VC4', $fix{"off$i"} // $off, length $c, $p->{crcs}[$i], 1, 0, 0, 0);
		$body .= $c;
		$off += length $c;
	}
	my $index = join('', @entries) . join('', map { pack('C', length) . $_ } @{ $p->{names} });
	my $t = pack('Q<Q<Q<VV', $off, $fix{isize} // length $index, $p->{count}, $p->{k},
	             crc32($index));
	$t .= pack('CCCC', 1, 3, 0, 0) . pack('V4', 2, 2, 3, 0) . pack('V', 0);
	$t .= pack('V', crc32($t)) . 'TKAP';
	return $head . $body . $index . $t;
}

sub put {
	my ($path, $bytes) = @_;
	open my $fh, '>:raw', "$dir/$path" or die "$dir/$path: $!\n";
	print $fh $bytes;
	close $fh or die "$dir/$path: $!\n";
}

my $ok = assemble(parts());
put('pack_ok_stored.pack', $ok);

# a data byte of chunk 2 flipped after its CRC was taken: sample 2 (b)
my $p = parts();
substr($p->{chunks}[1], 8, 1) ^= "\x01";
put('pack_bad_crc.pack', assemble($p));

# chunk 2's Adler-32 wrong but its CRC right: zlib refuses it
$p = parts();
substr($p->{chunks}[1], -1, 1) ^= "\x01";
$p->{crcs}[1] = crc32($p->{chunks}[1]);
put('pack_bad_inflate.pack', assemble($p));

# cut in the middle, as a copy that died
put('pack_truncated.pack', substr($ok, 0, int(length($ok) / 2)));

# the trailer claims 2^40 samples (CRCs right): refused, not allocated
$p = parts();
$p->{count} = 2**40;
put('pack_huge_count.pack', assemble($p));

# the trailer claims a 2^40-byte index
put('pack_huge_index.pack', assemble(parts(), isize => 2**40));

# chunk 3 claims to start 4 GiB into a 300-byte file
put('pack_chunk_beyond_file.pack', assemble(parts(), off2 => 2**32));

# K = 0
$p = parts();
$p->{k} = 0;
put('pack_zero_chunk_samples.pack', assemble($p));

# a name holding '/', CRCs right
$p = parts();
$p->{names}[1] = '/';
put('pack_slash_in_name.pack', assemble($p));

# version 2
$p = parts();
$p->{version} = 2;
put('pack_bad_version.pack', assemble($p));

# a name byte changed after the index CRC was taken
my $bad = $ok;
my $names_at = length($ok) - 64 - 6;
substr($bad, $names_at + 3, 1) = 'x';
put('pack_bad_index_crc.pack', $bad);

# a trailer byte changed after the trailer CRC was taken
$bad = $ok;
substr($bad, length($ok) - 64 + 20, 1) = "\x01";
put('pack_bad_trailer_crc.pack', $bad);
