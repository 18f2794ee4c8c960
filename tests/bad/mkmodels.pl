#!/usr/bin/perl
# mkmodels.pl MODEL DIR: write into DIR bad model files made from MODEL, a
# good model(5) file of tests/data/tiny.cfg (daetrain writes one in a second),
# one file per defect, named for it. Models depend on the network code that
# wrote them, so these are made at test time (tests/cli/badinput.bats), not
# committed. Plain Perl, independent of lib/nn/model.c: the file is taken apart
# by the layout in model(5) and, where a defect must get past the CRC, the
# CRC-32 is computed again here.
use strict;
use warnings;

my ($model, $dir) = @ARGV;
die "usage: mkmodels.pl MODEL DIR\n" unless defined $dir;

use FindBin;
require "$FindBin::Bin/crc32.pl";

sub put {
	my ($name, $bytes) = @_;
	open my $fh, '>:raw', "$dir/$name" or die "$dir/$name: $!\n";
	print $fh $bytes;
	close $fh or die "$dir/$name: $!\n";
}

# the body without its CRC, with a new CRC
sub sealed { return $_[0] . pack('V', crc32($_[0])) }

open my $fh, '<:raw', $model or die "$model: $!\n";
my $file = do { local $/; <$fh> };
close $fh;
die "$model: not a model\n" unless substr($file, 0, 8) eq 'DAEMODEL';
my $body = substr($file, 0, -4);
my $cfglen = unpack 'V', substr($body, 12, 4);
my $cfg = substr($body, 16, $cfglen);
my $after_cfg = 16 + $cfglen;   # the tensor count
die "$model: not a model of tiny.cfg\n" unless $cfg =~ /filters = 8/ && $cfg =~ /\[upsample\]/;

# one byte of the parameters flipped: caught by the CRC
my $flipped = $file;
substr($flipped, length($file) - 100, 1) ^= "\x55";
put('model_flipped_byte.bin', $flipped);

# cut short: caught by the CRC too
put('model_truncated.bin', substr($file, 0, int(length($file) / 2)));

# not a model at all
put('model_bad_magic.bin', 'DAEMODEX' . substr($file, 8));

# a later format version, with a valid CRC
put('model_bad_version.bin', sealed(substr($body, 0, 8) . pack('V', 2) . substr($body, 12)));

# another architecture: the stored cfg asks for 6 filters where the tensors
# hold 8 (the same length, so only the CRC needs fixing)
(my $other = $cfg) =~ s/filters = 8/filters = 6/;
put('model_other_arch.bin', sealed(substr($body, 0, 16) . $other . substr($body, $after_cfg)));

# a stored cfg that does not parse: an unknown layer kind
(my $unknown = $cfg) =~ s/\[upsample\]/[upsampel]/;
put('model_cfg_unknown_layer.bin', sealed(substr($body, 0, 16) . $unknown . substr($body, $after_cfg)));

# a tensor count of 2^32 - 1, which must not be believed
put('model_huge_tensor_count.bin',
    sealed(substr($body, 0, $after_cfg) . pack('V', 0xffffffff) . substr($body, $after_cfg + 4)));

# a cfg length running past the end of the file
put('model_cfg_past_end.bin', sealed(substr($body, 0, 12) . pack('V', 0x7fffffff) . substr($body, 16)));
