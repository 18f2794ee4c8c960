#!/usr/bin/perl
# mkbad.pl DIR: write the bad tensor streams and images of tests/bad into DIR,
# one small file per defect, named for it.
#
# Plain Perl (perl-base only), independent of lib/io/stream.c, so that the files
# do not share a writer's mistakes with the reader they test. Streams are
# built from one good record (tensor(5): "TNSR", version 1, u8, rank 3,
# 2 x 2 x 3, named "a", payload bytes 0..11) with one field changed; images
# are cut from or added to the files in tests/data (made by make_data.py).
# The committed files are this script's output; tests/cli/badinput.bats checks
# that they still are. The cfg_*.cfg files beside them are written by hand.
use strict;
use warnings;
use File::Basename qw(dirname);

my $dir = shift // die "usage: mkbad.pl DIR\n";
my $data = dirname(__FILE__) . '/../data';

# a tensor(5) record: header fields can be overridden by name
sub record {
	my (%f) = (magic => 'TNSR', version => 1, type => 1, flags => 0, reserved => 0,
	           dims => [2, 2, 3], name => 'a', @_);
	my @d = @{ $f{dims} };
	my $rank = $f{rank} // scalar @d;
	my $namelen = $f{namelen} // length $f{name};
	my $payload = $f{payload};
	if (!defined $payload) {
		my $n = 1;
		$n *= $_ for @d;
		$payload = pack 'C*', map { $_ % 251 } 0 .. ($n < 64 ? $n : 64) - 1;
	}
	return $f{magic} . pack('CCCCvv', $f{version}, $f{type}, $rank, $f{flags}, $namelen,
	                        $f{reserved}) . pack('V*', @d) . $f{name} . $payload;
}

sub slurp {
	my ($path) = @_;
	open my $fh, '<:raw', $path or die "$path: $!\n";
	local $/;
	return scalar <$fh>;
}

sub put {
	my ($name, $bytes) = @_;
	open my $fh, '>:raw', "$dir/$name" or die "$dir/$name: $!\n";
	print $fh $bytes;
	close $fh or die "$dir/$name: $!\n";
}

use FindBin;
require "$FindBin::Bin/crc32.pl";

sub png_chunk {
	my ($type, $body) = @_;
	return pack('N', length $body) . $type . $body . pack('N', crc32($type . $body));
}

my $good = record(payload => pack('C*', 0 .. 11));

# ---- tensor streams
put('bad_magic.ts', record(magic => 'TNSX'));
put('bad_version.ts', record(version => 2));
put('bad_type.ts', record(type => 3));
put('bad_rank.ts', record(rank => 5, dims => [1, 1, 1, 1, 1]));
put('reserved_not_zero.ts', record(reserved => 1));
put('slash_in_name.ts', record(name => '../x'));
put('zero_width.ts', record(dims => [2, 0, 3]));
# one dimension over the largest the readers take (2^20)
put('huge_dims.ts', record(dims => [0xffffffff, 2, 3]));
# every dimension allowed, but their product, 2^80, wraps a 64-bit count
put('product_overflow.ts', record(dims => [1 << 20, 1 << 20, 1 << 20, 1 << 20]));
# 100000 x 100000 x 10 bytes = 100 GB, in a file of 89 bytes
put('claims_100GB.ts', record(dims => [100000, 100000, 10]));
# record 1 whole, record 2 cut 5 bytes into its 12-byte payload
put('truncated_payload.ts', $good . substr(record(name => 'b', payload => pack('C*', 0 .. 11)),
                                           0, 12 + 12 + 1 + 5));
# record 1 whole, then 7 bytes of a header
put('truncated_header.ts', $good . substr($good, 0, 7));
# a good record, then bytes that are not a record: more than a header's
# worth, and fewer (which must not read as a record cut short)
put('garbage_after_record.ts', $good . "this is not a record, it only follows one\n");
put('short_garbage_after_record.ts', $good . "garbage\n");

# ---- images
my $jpg = slurp("$data/rgb.jpg");
my $png = slurp("$data/rgb.png");
my $ppm = slurp("$data/rgb.ppm");
put('truncated.jpg', substr($jpg, 0, int(length($jpg) * 2 / 3)));
# cut inside its header: the walk to the next image must not pass the end
put('truncated_header.jpg', substr($jpg, 0, 100));
put('truncated.png', substr($png, 0, int(length($png) * 2 / 3)));
put('truncated.ppm', substr($ppm, 0, length($ppm) - 10));
put('jpeg_then_garbage.jpg', $jpg . "this is not an image, it only follows one\n");
# a PNG whose IHDR claims 60000 x 60000 (3.6 gigapixels), in 68 bytes; its
# IDAT is an empty zlib stream
put('claims_60000x60000.png', "\x89PNG\r\n\x1a\n" .
    png_chunk('IHDR', pack('NNCCCCC', 60000, 60000, 8, 2, 0, 0, 0)) .
    png_chunk('IDAT', "\x78\x01\x01\x00\x00\xff\xff\x00\x00\x00\x01") . png_chunk('IEND', ''));

# a JPEG whose frame header claims 10000 x 10000 pixels (within the default
# limit) with the scan data of rgb.jpg: it ends long before the image does
{
	my $big = $jpg;
	my $sof = index($big, "\xff\xc0");
	substr($big, $sof + 5, 4) = pack('nn', 10000, 10000);
	put('jpeg_scan_ends_early.jpg', $big);
}
# a JPEG without its end marker, then zeros, then a PNG: the JPEG is cut,
# the PNG is found
put('jpeg_no_eoi_then_png.jpg', substr($jpg, 0, length($jpg) - 2) . ("\0" x 1000) . $png);
# a 1 x 1 PNG whose deflate stream goes on after its row (pngtail.pl), then
# garbage: the PNG is decoded without inflating the rest, the garbage is
# the second input
put('png_deflate_past_last_row.png', `perl $FindBin::Bin/pngtail.pl 0.001` . "garbage\n");
# a PPM whose width does not fit 32 bits
put('ppm_width_over_32_bits.ppm', "P6\n4294967297 2\n255\n");

# ---- packs (the defects of the index are in mkpacks.pl; this one is about
# sizes): three samples of 1024 x 1024 x 1024 bytes in one chunk, which the
# index says is 16 bytes, where deflate would need over 3 MB: a reader that
# believed it would allocate 3 GiB for the chunk before trying to inflate it
{
	my $chunk = "\x78\x01" . ('x' x 14);
	my $head = 'PAKT' . pack('C4', 1, 0, 0, 0);
	my $index = pack('Q<Q<VC4', length $head, length $chunk, crc32($chunk), 1, 0, 0, 0) .
	    join('', map { pack('C', 1) . $_ } qw(a b c));
	my $t = pack('Q<Q<Q<VV', length($head) + length($chunk), length $index, 3, 3,
	             crc32($index));
	$t .= pack('CCCC', 1, 3, 0, 0) . pack('V4', 1024, 1024, 1024, 0) . pack('V', 0);
	$t .= pack('V', crc32($t)) . 'TKAP';
	put('claims_3GB_chunk.pack', $head . $chunk . $index . $t);
}
