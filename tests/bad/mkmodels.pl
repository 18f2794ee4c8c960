#!/usr/bin/perl
# mkmodels.pl MODEL DIR [CHECKPOINT]: write into DIR bad model files made
# from MODEL, a good model(5) file of tests/data/tiny.cfg (daetrain writes
# one in a second), one file per defect, named for it; and bad checkpoints
# (ckpt_*) made from CHECKPOINT, the one daetrain wrote beside MODEL. Models depend on the network code that
# wrote them, so these are made at test time (tests/cli/badinput.bats), not
# committed. Plain Perl, independent of lib/nn/model.c: the file is taken apart
# by the layout in model(5) and, where a defect must get past the CRC, the
# CRC-32 is computed again here.
use strict;
use warnings;

my ($model, $dir, $ckpt) = @ARGV;
die "usage: mkmodels.pl MODEL DIR [CHECKPOINT]\n" unless defined $dir;

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

# ---- tensors, as model(5) lays them out after the cfg: name length (u16),
# name, rank, type (1 u8, 2 f32), dims (u32 each), payload

# split BODY into the bytes before the tensors and a list of tensors
sub tensors {
	my ($body) = @_;
	my $cfglen = unpack 'V', substr($body, 12, 4);
	my $off = 16 + $cfglen;
	my $count = unpack 'V', substr($body, $off, 4);
	my $head = substr($body, 0, $off);
	my @t;
	$off += 4;
	for (1 .. $count) {
		my $len = unpack 'v', substr($body, $off, 2);
		my $name = substr($body, $off + 2, $len);
		my ($rank, $type) = unpack 'CC', substr($body, $off + 2 + $len, 2);
		my @dims = unpack 'V*', substr($body, $off + 4 + $len, 4 * $rank);
		my $n = 1;
		$n *= $_ for @dims;
		my $at = $off + 4 + $len + 4 * $rank;
		push @t, { name => $name, type => $type, dims => \@dims,
		           data => substr($body, $at, $n * ($type == 1 ? 1 : 4)) };
		$off = $at + $n * ($type == 1 ? 1 : 4);
	}
	return ($head, @t);
}

# the file of HEAD and the tensors, sealed
sub join_tensors {
	my ($head, @t) = @_;
	my $b = $head . pack('V', scalar @t);
	$b .= pack('v', length $_->{name}) . $_->{name} . pack('CC', scalar @{ $_->{dims} }, $_->{type}) .
	    pack('V*', @{ $_->{dims} }) . $_->{data} for @t;
	return sealed($b);
}

# MODEL with tensor NAME changed by F (a sub given the tensor)
sub with_tensor {
	my ($body, $name, $f) = @_;
	my ($head, @t) = tensors($body);
	my @hit = grep { $_->{name} eq $name } @t;
	die "$model: no tensor $name\n" unless @hit;
	$f->($hit[0]);
	return join_tensors($head, @t);
}

# u8 where f32 is wanted, the element count kept: the bytes are a quarter of
# what a reader trusting the count alone would copy
sub to_u8 { my ($t) = @_; $t->{type} = 1; $t->{data} = substr($t->{data}, 0, length($t->{data}) / 4) }

put('model_param_u8.bin', with_tensor($body, 'L0.bias', \&to_u8));
# a name with a NUL byte whose prefix is a parameter's name
put('model_name_with_nul.bin', with_tensor($body, 'L0.bias', sub { $_[0]{name} .= "\0x" }));

if (defined $ckpt) {
	open my $ch, '<:raw', $ckpt or die "$ckpt: $!\n";
	my $cbody = substr(do { local $/; <$ch> }, 0, -4);
	close $ch;
	put('ckpt_adam_m_u8.bin', with_tensor($cbody, 'train.adam_m', \&to_u8));
	put('ckpt_adam_v_u8.bin', with_tensor($cbody, 'train.adam_v', \&to_u8));
	put('ckpt_history_u8.bin', with_tensor($cbody, 'train.history', \&to_u8));
	# meta as f32 of the same bytes: 32 floats, not 128 bytes
	put('ckpt_meta_f32.bin', with_tensor($cbody, 'train.meta', sub {
		$_[0]{type} = 2; $_[0]{dims} = [ 32 ] }));
	# the position in the epoch past the end of the data (meta word 2)
	put('ckpt_pos_past_end.bin', with_tensor($cbody, 'train.meta', sub {
		substr($_[0]{data}, 16, 8) = pack('Q<', 1 << 40) }));
}
