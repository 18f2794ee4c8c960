#!/usr/bin/env bats
# daeconvert: export to ONNX, import from ONNX and Keras, and every refusal.
# The ONNX and Keras files come from frameworks through committed scripts:
# tests/golden/make_interop.py (good files and their frameworks' outputs)
# and tests/bad/mkinterop.py (one defect a file). Import runs the importer
# under Debian's python3 with python3-onnx and python3-h5py; nothing here
# needs the frameworks themselves.

load common

# the importer of this tree, not an installed one
export DAECONVERT_IMPORTER=$ROOT/cmd/daeconvert.py

setup_file() {
	cd "$BATS_FILE_TMPDIR"
	for i in 1 2 3 4; do mkrecord u8 "i$i" 8 8 3; done > clean8.ts
	daetrain -q -t 1 -c "$DATA/allkinds.cfg" -o allkinds.bin -e 1 -b 4 -s 25 clean8.ts
	for i in 1 2 3; do mkrecord u8 "s$i" 20 28 3; done > img20x28.ts
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	F=$BATS_FILE_TMPDIR
	G=$ROOT/tests/golden/interop
}

# maxdiff A B: the largest |a - b| over every value of two f32 tensor
# streams with records of the same shapes
maxdiff() {
	perl -e '
		sub recs {
			open my $f, "<:raw", $_[0] or die "$_[0]: $!\n";
			local $/;
			my $d = <$f>;
			my ($o, @r) = (0);
			while ($o < length $d) {
				my ($m, $v, $t, $rank, $fl, $nl) = unpack "a4CCCCv", substr($d, $o, 10);
				die "$_[0]: not f32 records\n" unless $m eq "TNSR" && $t == 2;
				$o += 12;
				my @dims = unpack "V$rank", substr($d, $o, 4 * $rank);
				$o += 4 * $rank + $nl;
				my $n = 1;
				$n *= $_ for @dims;
				push @r, [unpack "f<$n", substr($d, $o, 4 * $n)];
				$o += 4 * $n;
			}
			return @r;
		}
		my @a = recs($ARGV[0]);
		my @b = recs($ARGV[1]);
		die "record counts differ\n" unless @a == @b;
		my $m = 0;
		for my $i (0 .. $#a) {
			die "record $i: sizes differ\n" unless @{$a[$i]} == @{$b[$i]};
			for my $j (0 .. $#{$a[$i]}) {
				my $d = abs($a[$i][$j] - $b[$i][$j]);
				$m = $d if $d > $m;
			}
		}
		printf "%.6f\n", $m;
	' "$1" "$2"
}

# within A B TOL: maxdiff A B is at most TOL
within() {
	local d
	d=$(maxdiff "$1" "$2") || return 1
	echo "max |difference| $d (tolerance $3)"
	perl -e 'exit !($ARGV[0] <= $ARGV[1])' "$d" "$3"
}

# refuses FILE MESSAGE: daeconvert FILE m.bin (in a directory of its own)
# exits 1 with the one line "daeconvert: FILE: MESSAGE...", writes nothing
# and leaves no temp file
refuses() {
	local dir
	dir=$(mktemp -d "$BATS_TEST_TMPDIR/out.XXXXXX")
	run --separate-stderr daeconvert "$1" "$dir/m.bin"
	echo "status $status, stderr: $stderr"
	[ "$status" -eq 1 ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ "$stderr" == "daeconvert: $1: $2"* ]]
	[ -z "$output" ]
	[ -z "$(ls -A "$dir")" ]
}

@test "daeconvert --help prints usage on stdout and exits 0" {
	run -0 --separate-stderr daeconvert --help
	assert_line --index 0 "usage: daeconvert [-v] in out"
}

@test "daeconvert --version prints name and version" {
	run -0 daeconvert --version
	assert_output --regexp '^daeconvert [0-9]+\.[0-9]+$'
}

@test "daeconvert synopsis in usage matches the man page" {
	usage_matches_man daeconvert
}

@test "daeconvert without two operands is a usage error" {
	run -2 --separate-stderr daeconvert "$ROOT/models/seed.bin"
	[[ "$stderr" == *"daeconvert: an input and an output file are required"* ]]
	run -2 --separate-stderr daeconvert a.bin b.onnx c.onnx
	[[ "$stderr" == *"unexpected operand 'c.onnx'"* ]]
}

@test "daeconvert refuses names that are not a supported pair of formats" {
	run -2 --separate-stderr daeconvert "$ROOT/models/seed.bin" m.bin
	[[ "$stderr" == *"m.bin: can only become .onnx (from .bin) or .bin (from .onnx, .keras, .h5)"* ]]
	run -2 --separate-stderr daeconvert model.txt m.onnx
	[[ "$stderr" == *"model.txt: not .bin, .onnx, .keras or .h5"* ]]
	mkdir out
	run -2 --separate-stderr daeconvert "$G/dncnn_opset13.onnx" out/m.keras
	[ -z "$(ls -A out)" ]
}

@test "daeconvert -v reports what it wrote on stderr" {
	run -0 --separate-stderr daeconvert -v "$ROOT/models/seed.bin" seed.onnx
	[ "$stderr" = "daeconvert: seed.onnx: 15 layers, 58067 numbers, $(wc -c < seed.onnx) bytes of ONNX" ]
	[ -z "$output" ]
	run -0 --separate-stderr daeconvert -v seed.onnx seed.bin
	[ "$stderr" = "daeconvert: seed.bin: 15 layers, 58067 numbers" ]
}

@test "daeconvert: a model told the noise level ([noisemap]) has no ONNX form" {
	mkrecord u8 a 8 8 3 > clean.ts
	daetrain -q -t 1 -c "$DATA/tinymap.cfg" -o map.bin -e 1 -b 1 -s 25 clean.ts
	run -1 --separate-stderr daeconvert map.bin map.onnx
	[[ "$stderr" == "daeconvert: "*"[noisemap] L0: no ONNX form for this layer kind" ]]
	[ ! -e map.onnx ]
}

# bin -> onnx -> bin -> onnx: the two ONNX files are the same bytes, so the
# weights (stored raw) and every layer came back; daeinfer agrees bit for bit
roundtrip() {
	daeconvert "$1" a.onnx
	daeconvert a.onnx b.bin
	daeconvert b.bin b.onnx
	cmp a.onnx b.onnx
	daeinfer --float -w "$1" < "$2" > a.ts
	daeinfer --float -w b.bin < "$2" > b.ts
	cmp a.ts b.ts
}

@test "daeconvert round trip of the seed network is exact" {
	roundtrip "$ROOT/models/seed.bin" "$F/img20x28.ts"
}

@test "daeconvert round trip of the fast colour denoiser is exact" {
	roundtrip "$ROOT/models/denoise-color-fast.bin" "$F/img20x28.ts"
}

@test "daeconvert round trip of every layer kind and option is exact" {
	roundtrip "$F/allkinds.bin" "$F/clean8.ts"
}

@test "daeconvert export keeps the model's tensor names and the input and output names" {
	daeconvert "$ROOT/models/seed.bin" seed.onnx
	grep -q 'L14.weight' seed.onnx
	grep -q 'L2.moving_var' seed.onnx
	grep -q 'SAME_UPPER' seed.onnx
}

@test "daeconvert refuses a file that is not a model" {
	printf 'DAEMODEL but not really' > bad.bin
	mkdir out
	run -1 --separate-stderr daeconvert bad.bin out/m.onnx
	[[ "$stderr" == "daeconvert: bad.bin: "* ]]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ -z "$(ls -A out)" ]
}

@test "daeconvert reports an output it cannot write" {
	run -1 --separate-stderr daeconvert "$ROOT/models/seed.bin" nodir/seed.onnx
	[[ "$stderr" == "daeconvert: nodir/seed.onnx: No such file or directory" ]]
}

@test "daeconvert leaves an existing output untouched when it fails" {
	echo keep > m.bin
	run -1 daeconvert "$ROOT/tests/bad/onnx_unknown_op.onnx" m.bin
	[ "$(cat m.bin)" = keep ]
	[ "$(ls -A)" = m.bin ]
}

# imports: daeinfer on the converted model against the framework's output,
# within 0.01 on the 0..255 scale
imports() {
	daeconvert "$G/$1" m.bin
	daeinfer --float -w m.bin < "$G/input.ts" > out.ts
	within out.ts "$G/$2.ref.ts" 0.01
}

@test "daeconvert imports PyTorch's DnCNN at opset 13 (x - net(x), BatchNorm, dilation)" {
	imports dncnn_opset13.onnx dncnn
}

@test "daeconvert imports PyTorch's DnCNN at opset 17" {
	imports dncnn_opset17.onnx dncnn
}

@test "daeconvert imports PyTorch's DnCNN at opset 18" {
	imports dncnn_opset18.onnx dncnn
}

@test "daeconvert imports a PyTorch U-Net (MaxPool ceil_mode, Resize, Concat, Sigmoid)" {
	imports unet_opset13.onnx unet
}

@test "daeconvert imports PyTorch's PixelShuffle (DepthToSpace in CRD order after a Conv)" {
	imports shuffle_opset17.onnx shuffle
}

@test "daeconvert imports the tutorial's Keras network from a .keras file" {
	imports tutorial.keras tutorial
}

@test "daeconvert imports the tutorial's Keras network from a legacy .h5 file" {
	imports tutorial.h5 tutorial
}

@test "daeconvert imports a functional Keras model (Add, Concatenate, Subtract, ReLU)" {
	imports functional.keras functional
}

@test "daeconvert names a missing importer" {
	mkdir out
	DAECONVERT_IMPORTER=/nonexistent/daeconvert.py run -1 --separate-stderr \
		daeconvert "$G/dncnn_opset13.onnx" out/m.bin
	[ "$stderr" = "daeconvert: /nonexistent/daeconvert.py: No such file or directory" ]
	[ -z "$(ls -A out)" ]
	DAECONVERT_PYTHON=/nonexistent/python3 run -1 --separate-stderr \
		daeconvert "$G/dncnn_opset13.onnx" out/m.bin
	[ "$stderr" = "daeconvert: /nonexistent/python3: No such file or directory" ]
	[ -z "$(ls -A out)" ]
}

@test "daeconvert refuses a model the importer writes that does not load" {
	printf '#!/bin/sh\nprintf "DAEMODEL junk"\n' > fake
	chmod +x fake
	mkdir out
	DAECONVERT_PYTHON=$PWD/fake run -1 --separate-stderr daeconvert "$G/dncnn_opset13.onnx" out/m.bin
	[[ "$stderr" == "daeconvert: $G/dncnn_opset13.onnx: the converted model does not load: "* ]]
	[ -z "$(ls -A out)" ]
}

@test "daeconvert killed while importing leaves no temporary file" {
	printf '#!/bin/sh\necho $$ > %s/pid\nexec sleep 30\n' "$PWD" > slow
	chmod +x slow
	mkdir out
	DAECONVERT_PYTHON=$PWD/slow daeconvert "$G/dncnn_opset13.onnx" out/m.bin 2> err &
	pid=$!
	for i in $(seq 100); do [ -s pid ] && break; sleep 0.1; done
	ls -A out | grep -q '^\.m\.bin\.'
	kill -TERM $pid
	wait $pid || true
	kill "$(cat pid)" 2>/dev/null || true
	[ -z "$(ls -A out)" ]
}

# refusals, one file a defect (tests/bad/mkinterop.py)
B=tests/bad

@test "daeconvert has a test for every ONNX and Keras file in tests/bad" {
	for f in "$ROOT"/tests/bad/*.onnx "$ROOT"/tests/bad/*.keras "$ROOT"/tests/bad/*.h5; do
		grep -q "\$B/$(basename "$f") " "$BATS_TEST_FILENAME" || { echo "no test for $f"; return 1; }
	done
}

@test "daeconvert refuses an unknown ONNX operator by name and node" {
	cd "$ROOT" && refuses $B/onnx_unknown_op.onnx "LeakyRelu node 'lrelu': operator LeakyRelu is not supported"
}

@test "daeconvert refuses an ONNX attribute the engine does not have" {
	cd "$ROOT" && refuses $B/onnx_unknown_attr.onnx "Relu node 'r0': attribute 'alpha' is not supported"
}

@test "daeconvert refuses ONNX opsets outside 13..18" {
	cd "$ROOT" && refuses $B/onnx_opset11.onnx "opset 11: daeconvert reads ONNX opsets 13 to 18"
}

@test "daeconvert refuses a strided convolution" {
	cd "$ROOT" && refuses $B/onnx_conv_stride2.onnx "Conv node 'c0': strides [2, 2]"
}

@test "daeconvert refuses grouped convolutions" {
	cd "$ROOT" && refuses $B/onnx_conv_group3.onnx "Conv node 'c0': group 3"
}

@test "daeconvert refuses padding that is neither valid nor TensorFlow's same" {
	cd "$ROOT" && refuses $B/onnx_conv_asym_pads.onnx "Conv node 'c0': pads [0, 0, 1, 1] are neither"
}

@test "daeconvert refuses a kernel whose channels do not match its input" {
	cd "$ROOT" && refuses $B/onnx_conv_shape_mismatch.onnx "Conv node 'c0': kernel takes 4 channels, its input has 3"
}

@test "daeconvert refuses weights that are not float32" {
	cd "$ROOT" && refuses $B/onnx_conv_float64_weight.onnx "Conv node 'c0': the kernel is float64, not float32"
}

@test "daeconvert refuses weights holding a NaN" {
	cd "$ROOT" && refuses $B/onnx_conv_nan_weight.onnx "Conv node 'c0': the kernel holds a NaN"
}

@test "daeconvert refuses a weight the graph computes" {
	cd "$ROOT" && refuses $B/onnx_computed_weight.onnx "Conv node 'c0': the kernel 'c0.w' must be a constant"
}

@test "daeconvert refuses a Resize that is not nearest" {
	cd "$ROOT" && refuses $B/onnx_resize_linear.onnx "Resize node 'up': mode 'linear'"
}

@test "daeconvert refuses nearest rounding that is not UpSampling2D's" {
	cd "$ROOT" && refuses $B/onnx_resize_half_pixel_floor.onnx \
		"Resize node 'up': coordinate_transformation_mode half_pixel with nearest_mode floor"
}

@test "daeconvert refuses a fractional Resize" {
	cd "$ROOT" && refuses $B/onnx_resize_fractional.onnx "Resize node 'up': scales [1.0, 1.0, 1.5, 1.5]"
}

@test "daeconvert refuses a Resize to fixed sizes" {
	cd "$ROOT" && refuses $B/onnx_resize_sizes.onnx "Resize node 'up': resizing to given sizes"
}

@test "daeconvert refuses PyTorch-style max pooling pads" {
	cd "$ROOT" && refuses $B/onnx_maxpool_pads.onnx "MaxPool node 'pool': pads [1, 1, 1, 1]"
}

@test "daeconvert refuses BatchNormalization in training mode" {
	cd "$ROOT" && refuses $B/onnx_bn_training.onnx "BatchNormalization node 'bn': training mode"
}

@test "daeconvert refuses BatchNormalization statistics of the wrong length" {
	cd "$ROOT" && refuses $B/onnx_bn_shape.onnx "BatchNormalization node 'bn': the variance has shape [2], expected [3]"
}

@test "daeconvert refuses DepthToSpace in CRD order unless a conv makes its channels" {
	cd "$ROOT" && refuses $B/onnx_d2s_crd_not_conv.onnx "DepthToSpace node 'shuffle': mode CRD on a tensor that is not a Conv's"
}

@test "daeconvert refuses a Sub it cannot turn into an add" {
	cd "$ROOT" && refuses $B/onnx_sub_not_conv.onnx "Sub node 'minus': subtracts 'r', which is not a linear Conv"
}

@test "daeconvert refuses adding a constant tensor" {
	cd "$ROOT" && refuses $B/onnx_add_constant.onnx "Add node 'plus': input 'bias3' is a constant"
}

@test "daeconvert refuses nodes out of order" {
	cd "$ROOT" && refuses $B/onnx_out_of_order.onnx "Conv node 'c0': reads 't' before anything writes it"
}

@test "daeconvert refuses two graph outputs" {
	cd "$ROOT" && refuses $B/onnx_two_outputs.onnx "2 graph outputs"
}

@test "daeconvert refuses an input that is not NCHW float32" {
	cd "$ROOT" && refuses $B/onnx_input_rank3.onnx "input 'x' has rank 3, not 4"
	refuses $B/onnx_input_uint8.onnx "input 'x' is not a float32 tensor"
}

@test "daeconvert refuses tensors whose dimensions claim more than the file holds" {
	cd "$ROOT" && refuses $B/onnx_huge_dims.onnx "Conv node 'c0': the kernel 'c0.w' claims 9895604649984 values"
	refuses $B/onnx_short_raw_data.onnx "Conv node 'c0': the kernel 'c0.w': "
}

@test "daeconvert refuses external tensor data" {
	cd "$ROOT" && refuses $B/onnx_external_data.onnx "Conv node 'c0': the kernel 'c0.w' is stored in an external file"
}

@test "daeconvert refuses a truncated ONNX file" {
	cd "$ROOT" && refuses $B/onnx_truncated.onnx "not an ONNX model"
}

@test "daeconvert refuses ONNX garbage and a length claiming 2^40 bytes" {
	cd "$ROOT" && refuses $B/onnx_garbage.onnx "not an ONNX model"
	refuses $B/onnx_huge_length.onnx "not an ONNX model"
}

@test "daeconvert refuses an unknown Keras layer" {
	cd "$ROOT" && refuses $B/keras_unknown_layer.keras "PReLU layer 'relu': layer PReLU is not supported"
}

@test "daeconvert refuses an unknown Keras activation" {
	cd "$ROOT" && refuses $B/keras_unknown_activation.keras "Activation layer 'act': activation 'swish'"
}

@test "daeconvert refuses a Keras option that changes the arithmetic" {
	cd "$ROOT" && refuses $B/keras_conv_stride2.keras "Conv2D layer 'enc': strides [2, 2]"
	refuses $B/keras_upsample_bilinear.keras "UpSampling2D layer 'up': interpolation 'bilinear'"
	refuses $B/keras_unknown_option.keras "Conv2D layer 'enc': option 'depth_multiplier' is not supported"
}

@test "daeconvert refuses shared Keras layers" {
	cd "$ROOT" && refuses $B/keras_shared_layer.keras "Conv2D layer 'head': used 2 times"
}

@test "daeconvert refuses Keras weights that are missing, misshapen or not float32" {
	cd "$ROOT" && refuses $B/keras_missing_weight.keras "Conv2D layer 'dil': 1 weights stored, expected 2"
	refuses $B/keras_weight_shape.keras "Conv2D layer 'enc': the kernel has shape [3, 3, 4, 8], expected [3, 3, 3, 8]"
	refuses $B/keras_weight_float64.keras "Conv2D layer 'enc': kernel is float64, not float32"
}

@test "daeconvert refuses a .keras file that is not a Keras archive" {
	cd "$ROOT" && refuses $B/keras_not_zip.keras "not a Keras model file"
	refuses $B/keras_no_config.keras "no config.json"
	refuses $B/keras_zip_claims_2GB.keras "model.weights.h5 claims 2147483647 bytes"
}

@test "daeconvert refuses a truncated or corrupt HDF5 file" {
	cd "$ROOT" && refuses $B/keras_truncated.h5 "not a Keras model file"
	refuses $B/keras_bad_offset.h5 "Conv2D layer 'conv2d': weights not found in the file"
}

@test "daeconvert refuses an HDF5 file of weights without the architecture" {
	cd "$ROOT" && refuses $B/keras_weights_only.h5 "a weights-only HDF5 file"
}
