#!/usr/bin/perl
# pngtail.pl MB: print a 1 x 1 RGB PNG whose deflate stream goes on for MB
# megabytes after its one row, never ending: a fixed-Huffman block of a
# literal 0 and then copies of 258 bytes at distance 1, 13 bits each, so
# each 13 bytes inflate to 8 x 258 bytes (a reader that inflates it all
# does 1000 times the work of reading it). For tests/bad (mkbad.pl) and the
# CPU bound in tests/cli/imgresize.bats.
use strict;
use warnings;
use FindBin;
require "$FindBin::Bin/crc32.pl";

my $mb = shift // die "usage: pngtail.pl MB\n";

# the CRC in 64 KiB pieces: unpack of a whole long chunk would make a list
# of millions of scalars
sub png_chunk {
	my ($type, $body) = @_;
	my $c = crc32($type);
	$c = crc32(substr($body, $_, 65536), $c) for map { $_ * 65536 } 0 .. (length($body) - 1) / 65536;
	return pack('N', length $body) . $type . $body . pack('N', $c);
}

# deflate packs bits from the least significant end; Huffman codes go in
# most significant bit first
my $bits = '';
sub put_bits { my ($v, $n) = @_; $bits .= ($v >> $_) & 1 for 0 .. $n - 1 }
sub put_code { my ($v, $n) = @_; $bits .= ($v >> ($n - 1 - $_)) & 1 for 0 .. $n - 1 }
put_bits(1, 1);                 # BFINAL
put_bits(1, 2);                 # fixed Huffman codes
put_code(0x30, 8);              # literal 0
for (1 .. 16) {
	put_code(0xc5, 8);      # length 258 (code 285)
	put_code(0, 5);         # distance 1
}
my $s = pack('b*', $bits);
# from byte 2 on the bits are copies, 104 bits (13 bytes) for 8 of them
my $unit = substr($s, 2, 13);
my $z = "\x78\x01" . substr($s, 0, 2) . ($unit x int($mb * 1e6 / 13));
binmode STDOUT;
print "\x89PNG\r\n\x1a\n", png_chunk('IHDR', pack('NNCCCCC', 1, 1, 8, 2, 0, 0, 0)),
    png_chunk('IDAT', $z), png_chunk('IEND', '');
