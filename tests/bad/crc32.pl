# crc32.pl: crc32(BYTES [, CRC]), the CRC-32 of PNG, zlib, model(5) and pack(5)
# (polynomial 0xedb88320, reflected, initial and final 0xffffffff), in plain
# Perl for the scripts here that build files by hand, independently of the
# C code they test. Used as: use FindBin; require "$FindBin::Bin/crc32.pl";
# With CRC, BYTES continue the bytes whose CRC that is (for long inputs, in
# pieces).
use strict;
use warnings;

my @crc_table = map {
	my $c = $_;
	$c = $c & 1 ? 0xedb88320 ^ ($c >> 1) : $c >> 1 for 1 .. 8;
	$c;
} 0 .. 255;

sub crc32 {
	my $c = ($_[1] // 0) ^ 0xffffffff;
	$c = $crc_table[($c ^ $_) & 0xff] ^ ($c >> 8) for unpack 'C*', $_[0];
	return $c ^ 0xffffffff;
}

1;
