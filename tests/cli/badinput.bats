#!/usr/bin/env bats
# badinput: the bad-input table, what every program answers to input it must
# refuse (docs/bad-input.md). One @test per kind of bad input; each runs every
# program that reads such input and checks the contract:
#   - exit status 1 (2 for a usage error), never a signal or a core dump;
#   - exactly one line on stderr, "program: message", naming the problem and,
#     for a stream or a pack, the record or sample and where it starts;
#   - nothing on stdout when no record came before the failure, and exactly
#     the output for the records before it otherwise;
#   - no output file under its final name unless it is whole, and no
#     temporary file left behind.
# The files are in tests/bad (tests/bad/mkbad.pl writes most of them; bad
# model files are made here by tests/bad/mkmodels.pl from a fresh model).
# make test-valgrind runs this file under valgrind's memcheck.

load common

setup_file() {
	cd "$BATS_FILE_TMPDIR"
	# a tiny model, trained outside valgrind: the table is about reading it
	for i in 1 2 3 4; do mkrecord u8 "i$i" 8 8 3; done > clean.ts
	"$ROOT/daetrain" -q -t 1 -c "$DATA/tiny.cfg" -o tiny.bin -e 1 -b 4 -s 25 clean.ts
	mkdir models
	perl "$BAD/mkmodels.pl" tiny.bin models tiny.bin.ckpt
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	M=$BATS_FILE_TMPDIR/tiny.bin
	MODELS=$BATS_FILE_TMPDIR/models
	CFG=$DATA/tiny.cfg
	for i in 1 2 3 4; do mkrecord u8 "i$i" 8 8 3; done > clean.ts
}

# fails CMD...: CMD exits 1 and writes exactly one line on stderr; $stderr
# holds the line and $output what came out on stdout
fails() {
	run --separate-stderr "$@"
	if [ "$status" -ne 1 ] || [ "${#stderr_lines[@]}" -ne 1 ]; then
		echo "$*: exit status $status (want 1), stderr:"
		printf '%s\n' "$stderr"
		return 1
	fi
}

# says LINE: the one line on stderr is LINE
says() {
	[ "$stderr" = "$1" ] || { printf 'stderr: %s\nwant:   %s\n' "$stderr" "$1"; return 1; }
}

# quiet: nothing came out on stdout
quiet() {
	[ -z "$output" ] || { echo "stdout: $output"; return 1; }
}

# size FILE N: FILE is N bytes long
size() {
	[ "$(wc -c < "$1")" -eq "$2" ] || { echo "$1: $(wc -c < "$1") bytes, want $2"; return 1; }
}

# no_leftovers: no temporary file (a hidden .NAME.XXXXXX) and no core dump
# anywhere under the current directory
no_leftovers() {
	local left
	left=$(find . \( -name '.?*' -o -name 'core' -o -name 'core.[0-9]*' \) -print | head -5)
	[ -z "$left" ] || { echo "left behind: $left"; return 1; }
}

# whole_images DIR NAME...: DIR holds exactly the files NAME..., each an
# image that decodes whole
whole_images() {
	local dir=$1 f
	shift
	[ "$(ls -A "$dir" | tr '\n' ' ')" = "$* " ] || [ "$(ls -A "$dir")" = "$*" ] ||
		{ echo "$dir: $(ls -A "$dir" | tr '\n' ' '), want $*"; return 1; }
	for f in "$@"; do
		"$ROOT/imgresize" --strict 100% "$dir/$f" > /dev/null || return 1
	done
}

# stream_row FILE REC BYTE MSG: every program that reads a tensor stream
# refuses FILE, saying "SRC: record REC (byte BYTE): MSG". Record 1 of every
# stream in tests/bad is a good 2 x 2 x 3 record named "a" (37 bytes); when
# REC is 2 the filters have written its output first.
stream_row() {
	local where="record $2 (byte $3): $4" n=0 nlines=0 files=
	rm -rf in.ts out.ts out.pack dir m.bin m.bin.ckpt
	cp "$1" in.ts
	if [ "$2" -gt 1 ]; then n=37 nlines=1 files=a.png; fi

	fails sh -c 'addnoise < in.ts > out.ts'
	says "addnoise: <stdin>: $where"
	size out.ts $n
	fails sh -c 'daeinfer -w "$1" in.ts > out.ts' sh "$M"
	says "daeinfer: in.ts: $where"
	size out.ts $n
	fails sh -c 'packtensor -x in.ts > out.ts'
	says "packtensor: in.ts: $where"
	size out.ts $n
	fails packtensor -t in.ts
	says "packtensor: in.ts: $where"
	[ "${#lines[@]}" -eq "$nlines" ]
	fails daeeval in.ts in.ts
	says "daeeval: in.ts: $where"
	[ "${#lines[@]}" -eq $((nlines ? 2 : 0)) ]
	fails daemontage in.ts
	says "daemontage: in.ts: $where"
	quiet
	fails packtensor -o out.pack in.ts
	says "packtensor: in.ts: $where"
	quiet
	[ ! -e out.pack ]
	fails unpack dir < in.ts
	says "unpack: <stdin>: $where"
	quiet
	whole_images dir $files
	fails daetrain -q -c "$CFG" -o m.bin -s 25 in.ts
	says "daetrain: in.ts: $where"
	quiet
	[ ! -e m.bin ] && [ ! -e m.bin.ckpt ]
	no_leftovers
}

@test "the files in tests/bad are what mkbad.pl writes" {
	mkdir gen
	perl "$BAD/mkbad.pl" gen
	for f in gen/*; do
		cmp "$f" "$BAD/${f#gen/}"
	done
}

# ---------------------------------------------------------------- streams

@test "bad input: empty stream: filters write nothing and exit 0, programs that need records exit 1" {
	: > empty.ts
	run -0 --separate-stderr sh -c 'addnoise < empty.ts'
	quiet && [ -z "$stderr" ]
	run -0 --separate-stderr imgresize 4 < empty.ts
	quiet && [ -z "$stderr" ]
	run -0 --separate-stderr daeinfer -w "$M" empty.ts
	quiet && [ -z "$stderr" ]
	run -0 --separate-stderr packtensor -x empty.ts
	quiet && [ -z "$stderr" ]
	run -0 --separate-stderr unpack dir < empty.ts
	quiet && [ -z "$stderr" ] && [ -z "$(ls -A dir)" ]
	fails daeeval empty.ts empty.ts
	says "daeeval: empty.ts and empty.ts hold no records"
	quiet
	fails daemontage empty.ts
	says "daemontage: the inputs hold no records"
	quiet
	fails packtensor -o out.pack empty.ts
	says "packtensor: empty.ts: no records"
	[ ! -e out.pack ]
	fails daetrain -q -c "$CFG" -o m.bin -s 25 empty.ts
	says "daetrain: empty.ts: no images"
	[ ! -e m.bin ]
	no_leftovers
}

@test "bad input: wrong magic (bad_magic.ts)" {
	stream_row "$BAD/bad_magic.ts" 1 0 "not a tensor stream (bad magic)"
}

@test "bad input: not a stream or a pack at all, for the programs that take either" {
	cp "$DATA/rgb.ppm" in.ts
	fails daeinfer -w "$M" in.ts
	says "daeinfer: in.ts: record 1 (byte 0): not a tensor stream or pack (bad magic)"
	quiet
	fails packtensor -x in.ts
	says "packtensor: in.ts: record 1 (byte 0): not a tensor stream or pack (bad magic)"
	quiet
	fails daetrain -q -c "$CFG" -o m.bin -s 25 in.ts
	says "daetrain: in.ts: record 1 (byte 0): not a tensor stream or pack (bad magic)"
	[ ! -e m.bin ]
}

@test "bad input: unknown format version (bad_version.ts)" {
	stream_row "$BAD/bad_version.ts" 1 0 "unsupported format version"
}

@test "bad input: unknown element type (bad_type.ts)" {
	stream_row "$BAD/bad_type.ts" 1 0 "unknown element type"
}

@test "bad input: rank over 4 (bad_rank.ts)" {
	stream_row "$BAD/bad_rank.ts" 1 0 "rank must be 1..4"
}

@test "bad input: reserved header field not 0 (reserved_not_zero.ts)" {
	stream_row "$BAD/reserved_not_zero.ts" 1 0 "reserved header field is not 0"
}

@test "bad input: record name holding a slash (slash_in_name.ts)" {
	stream_row "$BAD/slash_in_name.ts" 1 0 "bad record name"
}

@test "bad input: a dimension of 0 (zero_width.ts)" {
	stream_row "$BAD/zero_width.ts" 1 0 "a dimension is 0"
}

@test "bad input: a dimension over the largest, 2^20 (huge_dims.ts)" {
	stream_row "$BAD/huge_dims.ts" 1 0 "dimensions over the limits"
}

@test "bad input: dimensions whose product overflows 64 bits (product_overflow.ts)" {
	stream_row "$BAD/product_overflow.ts" 1 0 "dimensions over the limits"
}

@test "bad input: a header claiming 100 GB, refused before anything is allocated (claims_100GB.ts)" {
	stream_row "$BAD/claims_100GB.ts" 1 0 "dimensions over the limits"
	# under a 200 MB address space a 100 GB buffer could not even be tried
	if [ -z "${VALGRIND:-}" ] && ! grep -q fsanitize=address "$ROOT/.cflags"; then
		fails sh -c 'ulimit -v 200000; addnoise < in.ts'
		says "addnoise: <stdin>: record 1 (byte 0): dimensions over the limits"
	fi
}

@test "bad input: a stream that ends inside a payload (truncated_payload.ts)" {
	stream_row "$BAD/truncated_payload.ts" 2 37 "stream ends inside a record"
}

@test "bad input: a stream that ends inside a header (truncated_header.ts)" {
	stream_row "$BAD/truncated_header.ts" 2 37 "stream ends inside a record"
}

@test "bad input: bytes after the last record that are not a record (garbage_after_record.ts)" {
	stream_row "$BAD/garbage_after_record.ts" 2 37 "not a tensor stream (bad magic)"
	stream_row "$BAD/short_garbage_after_record.ts" 2 37 "not a tensor stream (bad magic)"
}

# ---------------------------------------------------------------- images

@test "bad input: zero-byte image file: skipped, or with --strict exit 1" {
	: > zero.jpg
	run -0 --separate-stderr imgresize 4 zero.jpg
	quiet
	[ "$stderr" = "$(printf 'imgresize: zero.jpg: empty file, skipped\nimgresize: 1 of 1 inputs skipped')" ]
	fails imgresize --strict 4 zero.jpg
	says "imgresize: zero.jpg: empty file"
	quiet
}

@test "bad input: truncated JPEG, PNG and PPM (truncated.jpg, .png, .ppm)" {
	for f in truncated.jpg:JPEG truncated.png:PNG truncated.ppm:PPM; do
		cp "$BAD/${f%:*}" .
		fails imgresize --strict 4 "${f%:*}"
		says "imgresize: ${f%:*}: truncated ${f#*:}"
		quiet
		fails sh -c 'imgresize --strict 4 < "$1"' sh "${f%:*}"
		says "imgresize: input 1 (byte 0): truncated ${f#*:}"
		quiet
		# without --strict: said, skipped, counted, exit 0
		run -0 --separate-stderr imgresize 4 "${f%:*}"
		quiet
		[ "${stderr_lines[0]}" = "imgresize: ${f%:*}: truncated ${f#*:}, skipped" ]
		[ "${stderr_lines[1]}" = "imgresize: 1 of 1 inputs skipped" ]
	done
}

@test "bad input: a JPEG followed by garbage: the JPEG comes out, the garbage is named by its offset" {
	cp "$BAD/jpeg_then_garbage.jpg" .
	fails sh -c 'imgresize --strict 4 jpeg_then_garbage.jpg > out.ts'
	says "imgresize: jpeg_then_garbage.jpg (byte 386): not a JPEG, PNG or PPM"
	size out.ts $((12 + 12 + 21 + 4 * 4 * 3))
	fails sh -c 'imgresize --strict 4 < jpeg_then_garbage.jpg > out.ts'
	says "imgresize: input 2 (byte 386): not a JPEG, PNG or PPM"
	size out.ts $((12 + 12 + 4 * 4 * 3))
}

@test "bad input: wrong magic for an image (not_an_image.txt), corrupt PNG, zero-width PPM" {
	cp "$BAD/not_an_image.txt" "$BAD/bad_crc.png" "$BAD/zero_width.ppm" .
	fails imgresize --strict 4 not_an_image.txt
	says "imgresize: not_an_image.txt: not a JPEG, PNG or PPM"
	quiet
	fails imgresize --strict 4 bad_crc.png
	says "imgresize: bad_crc.png: corrupt PNG: IHDR: CRC error"
	quiet
	fails imgresize --strict 4 zero_width.ppm
	says "imgresize: zero_width.ppm: corrupt PPM: width or height is 0"
	quiet
}

@test "bad input: a 68-byte PNG and a 178-byte JPEG claiming 60000 x 60000 are refused before allocating" {
	cp "$BAD/claims_60000x60000.png" "$BAD/huge_dims.jpg" .
	for f in claims_60000x60000.png:PNG huge_dims.jpg:JPEG; do
		fails imgresize --strict 300 "${f%:*}"
		says "imgresize: ${f%:*}: ${f#*:} of 60000 x 60000 pixels is over the limit of 100000000"
		quiet
	done
	# decoded, either would take 10.8 GB; prove nothing near that is tried:
	# a 200 MB address space, or ASan refusing any allocation over 100 MB
	if [ -n "${VALGRIND:-}" ]; then
		skip "no address-space limit under valgrind"
	elif grep -q fsanitize=address "$ROOT/.cflags"; then
		run -1 --separate-stderr env \
			ASAN_OPTIONS="${ASAN_OPTIONS:-}:allocator_may_return_null=1:max_allocation_size_mb=100" \
			imgresize --strict 300 claims_60000x60000.png
	else
		run -1 --separate-stderr sh -c 'ulimit -v 200000; imgresize --strict 300 claims_60000x60000.png'
	fi
	says "imgresize: claims_60000x60000.png: PNG of 60000 x 60000 pixels is over the limit of 100000000"
}

@test "limits: --max-pixels is documented with its default, and daeinfer refuses a 3.9 GB record from its header" {
	grep -q '^Default: 100000000, ' "$ROOT/man/man1/imgresize.1"
	grep -q '^Default 100000000\.$' "$ROOT/man/man1/daeinfer.1"
	# 36000 x 36000 x 3 is within the stream's 4 GiB, over the 100000000 pixels
	perl -e 'print "TNSR", pack("CCCCvv", 1, 1, 3, 0, 3, 0), pack("V3", 36000, 36000, 3), "big"' > big.ts
	fails daeinfer --strict -w "$M" big.ts
	says "daeinfer: big.ts: record 1 (big): 3-dimensional u8 tensor: more pixels than --max-pixels"
	if [ -n "${VALGRIND:-}" ]; then
		skip "no address-space limit under valgrind"
	elif grep -q fsanitize=address "$ROOT/.cflags"; then
		run -1 --separate-stderr env \
			ASAN_OPTIONS="${ASAN_OPTIONS:-}:allocator_may_return_null=1:max_allocation_size_mb=100" \
			daeinfer --strict -w "$M" big.ts
	else
		# OpenBLAS maps its buffers at start (and spins if it cannot), so
		# 1 GB rather than 200 MB: still far short of the 3.9 GB
		run -1 --separate-stderr sh -c 'ulimit -v 1000000; daeinfer --strict -w "$1" big.ts' sh "$M"
	fi
	says "daeinfer: big.ts: record 1 (big): 3-dimensional u8 tensor: more pixels than --max-pixels"
}

# ---------------------------------------------------------------- packs

@test "bad input: a 118-byte pack claiming a 3 GiB chunk is refused on open (claims_3GB_chunk.pack)" {
	cp "$BAD/claims_3GB_chunk.pack" in.pack
	for cmd in "packtensor -t" "packtensor -x" "daeinfer -w $M"; do
		fails $cmd in.pack
		says "${cmd%% *}: in.pack: pack index field out of range"
		quiet
	done
	fails daetrain -q -c "$CFG" -o m.bin -s 25 in.pack
	says "daetrain: in.pack: pack index field out of range"
	[ ! -e m.bin ]
}

@test "bad input: a pack sample that fails its checksum is named; the samples before it come out" {
	cp "$BAD/pack_bad_crc.pack" in.pack
	fails sh -c 'packtensor -x in.pack > out.ts'
	says "packtensor: in.pack: sample 2 (b): sample data checksum mismatch"
	size out.ts 37
	fails sh -c 'daeinfer --strict -w "$1" in.pack > out.ts' sh "$M"
	says "daeinfer: in.pack: sample 2 (b): sample data checksum mismatch"
	size out.ts 37
	# without --strict daeinfer skips the sample, says so and goes on
	run -0 --separate-stderr sh -c 'daeinfer -w "$1" in.pack > out.ts' sh "$M"
	size out.ts 74
	[ "${stderr_lines[0]}" = "daeinfer: in.pack: sample 2 (b): sample data checksum mismatch, skipped" ]
}

@test "bad input: a truncated pack (pack_truncated.pack)" {
	cp "$BAD/pack_truncated.pack" in.pack
	fails packtensor -t in.pack
	says "packtensor: in.pack: no pack trailer: truncated or unfinished"
	quiet
	fails daeinfer -w "$M" in.pack
	says "daeinfer: in.pack: no pack trailer: truncated or unfinished"
	quiet
}

# ---------------------------------------------------------------- training sets

@test "bad input: daetrain with noisy and clean sets that do not pair up" {
	head -c $((3 * 218)) clean.ts > three.ts
	fails daetrain -q -c "$CFG" -o m.bin -e 1 clean.ts three.ts
	says "daetrain: noisy set is 3 x 8x8x3, clean set 4 x 8x8x3"
	for i in 1 2 3 4; do mkrecord u8 "n$i" 8 10 3; done > wide.ts
	fails daetrain -q -c "$CFG" -o m.bin -e 1 clean.ts wide.ts
	says "daetrain: noisy set is 4 x 8x10x3, clean set 4 x 8x8x3"
	{ mkrecord u8 a 8 8 3; mkrecord u8 b 8 10 3; } > mixed.ts
	fails daetrain -q -c "$CFG" -o m.bin -s 25 mixed.ts
	says "daetrain: images differ in size: train on patches of them (--patch)"
	{ mkrecord u8 a 8 10 3; mkrecord u8 b 8 8 3; } > swapped.ts
	fails daetrain -q -c "$CFG" -o m.bin -b 2 --patch 6 mixed.ts swapped.ts
	says "daetrain: sample 1: noisy image is 8x10, clean 8x8"
	quiet
	[ ! -e m.bin ] && [ ! -e m.bin.ckpt ]
	no_leftovers
}

@test "bad input: daeeval and daemontage with streams that do not pair up" {
	head -c $((3 * 218)) clean.ts > three.ts
	fails sh -c 'daeeval clean.ts three.ts > out.txt'
	says "daeeval: record 4: three.ts has only 3 records, clean.ts has more"
	fails daemontage clean.ts three.ts
	says "daemontage: row 4: three.ts has only 3 records, the other inputs have more"
	quiet
}

@test "bad input: control characters in a record's name are escaped in messages" {
	name=$(printf 'a\033[2Jb\nc')
	mkrecord u8 "$name" 2 2 1 > ctl.ts
	fails sh -c 'daeinfer --strict -w "$1" < ctl.ts' sh "$M"
	says 'daeinfer: <stdin>: record 1 (a\x1b[2Jb\x0ac): 3-dimensional u8 tensor: not an image with the model'"'"'s channels'
	mkrecord u8 "$name" 2 2 3 > ctl.ts
	mkdir out
	touch "out/$name.png"
	fails sh -c 'unpack --strict out < ctl.ts'
	says 'unpack: out/a\x1b[2Jb\x0ac.png: file exists'
}

# ---------------------------------------------------------------- models

@test "bad input: a model with a flipped byte is caught by its CRC (daeinfer -w, daetrain --resume)" {
	fails daeinfer -w "$MODELS/model_flipped_byte.bin" clean.ts
	says "daeinfer: $MODELS/model_flipped_byte.bin: corrupt or truncated (CRC mismatch)"
	quiet
	cp "$MODELS/model_flipped_byte.bin" m.bin.ckpt
	fails daetrain -q -c "$CFG" -o m.bin -e 2 -s 25 --resume clean.ts
	says "daetrain: --resume: m.bin.ckpt: corrupt or truncated (CRC mismatch)"
	[ ! -e m.bin ]
}

@test "bad input: a truncated model, a zero-byte model, a file that is not a model" {
	fails daeinfer -w "$MODELS/model_truncated.bin" clean.ts
	says "daeinfer: $MODELS/model_truncated.bin: corrupt or truncated (CRC mismatch)"
	: > zero.bin
	fails daeinfer -w zero.bin clean.ts
	says "daeinfer: zero.bin: not a model file"
	fails daeinfer -w "$MODELS/model_bad_magic.bin" clean.ts
	says "daeinfer: $MODELS/model_bad_magic.bin: not a model file"
	fails daeinfer -w clean.ts clean.ts
	says "daeinfer: clean.ts: not a model file"
	quiet
}

@test "bad input: a model of an unknown format version" {
	fails daeinfer -w "$MODELS/model_bad_version.bin" clean.ts
	says "daeinfer: $MODELS/model_bad_version.bin: model format version 2, this build reads 1"
	quiet
}

@test "bad input: a model for another architecture (hand-made, and daetrain --resume with another cfg)" {
	fails daeinfer -w "$MODELS/model_other_arch.bin" clean.ts
	says "daeinfer: $MODELS/model_other_arch.bin: tensor 'L0.weight' is f32 3x3x3x8, the network wants f32 3x3x3x6"
	quiet
	cp "$M" m.bin.ckpt
	sed 's/filters = 8/filters = 6/' "$CFG" > other.cfg
	fails daetrain -q -c other.cfg -o m.bin -e 2 -s 25 --resume clean.ts
	says "daetrain: --resume: m.bin.ckpt: tensor 'L0.weight' is f32 3x3x3x8, the network wants f32 3x3x3x6"
	[ ! -e m.bin ]
}

@test "bad input: a model tensor of the wrong type, or whose name holds a NUL" {
	fails daeinfer -w "$MODELS/model_param_u8.bin" clean.ts
	says "daeinfer: $MODELS/model_param_u8.bin: tensor 'L0.bias' is u8 8, the network wants f32 8"
	fails daeinfer -w "$MODELS/model_name_with_nul.bin" clean.ts
	says "daeinfer: $MODELS/model_name_with_nul.bin: tensor 2: a NUL byte in its name"
	quiet
}

@test "bad input: a checkpoint whose training state has the wrong type or is out of range (daetrain --resume)" {
	for f in ckpt_adam_m_u8:"tensor 'train.adam_m' is u8 1043, the trainer wants f32 1043" \
		ckpt_adam_v_u8:"tensor 'train.adam_v' is u8 1043, the trainer wants f32 1043" \
		ckpt_history_u8:"tensor 'train.history' is u8 1x4, the trainer wants f32 1x4" \
		ckpt_meta_f32:"tensor 'train.meta' is f32 32, the trainer wants u8 128" \
		ckpt_pos_past_end:"checkpoint state out of range"; do
		cp "$MODELS/${f%%:*}.bin" m.bin.ckpt
		fails daetrain -q -t 1 -c "$CFG" -o m.bin -e 2 -b 4 -s 25 --resume clean.ts
		says "daetrain: --resume: m.bin.ckpt: ${f#*:}"
		[ ! -e m.bin ]
	done
}

@test "bad input: a model whose stored cfg, tensor count or cfg length is bad" {
	fails daeinfer -w "$MODELS/model_cfg_unknown_layer.bin" clean.ts
	says "daeinfer: $MODELS/model_cfg_unknown_layer.bin: stored cfg line 19: unknown layer kind [upsampel]"
	fails daeinfer -w "$MODELS/model_huge_tensor_count.bin" clean.ts
	says "daeinfer: $MODELS/model_huge_tensor_count.bin: bad tensor count"
	fails daeinfer -w "$MODELS/model_cfg_past_end.bin" clean.ts
	says "daeinfer: $MODELS/model_cfg_past_end.bin: bad cfg length"
	quiet
}

# ---------------------------------------------------------------- cfg files

@test "bad input: cfg with an unknown layer, an unknown key, a bad number, shapes that do not fit" {
	cp "$BAD"/cfg_*.cfg .
	fails daetrain -q -c cfg_unknown_layer.cfg -o m.bin -s 25 clean.ts
	says "daetrain: cfg_unknown_layer.cfg:5: unknown layer kind [convolutional]"
	fails daetrain -q -c cfg_unknown_key.cfg -o m.bin -s 25 clean.ts
	says "daetrain: cfg_unknown_key.cfg:7: unknown key 'kernel' in [conv]"
	fails daetrain -q -c cfg_bad_number.cfg -o m.bin -s 25 clean.ts
	says "daetrain: cfg_bad_number.cfg:5: filters: not an integer: 'eight'"
	fails daetrain -q -c cfg_bad_shape.cfg -o m.bin -s 25 clean.ts
	says "daetrain: cfg_bad_shape.cfg:13: [add] L2: inputs 8x8x3 and 4x4x3 differ"
	fails daetrain -q -c cfg_out_of_range.cfg -o m.bin -s 25 clean.ts
	says "daetrain: cfg_out_of_range.cfg:6: size: must be in 1..15"
	quiet
	[ ! -e m.bin ] && [ ! -e m.bin.ckpt ]
}

@test "bad input: a 'from' layer index is checked as parsed, not after narrowing to int" {
	cp "$BAD"/cfg_from_*.cfg .
	for f in cfg_from_wraps_to_self:-4294967296 cfg_from_wraps_to_previous:4294967295 \
		cfg_from_over_int:2147483648 cfg_from_over_long:99999999999999999999; do
		fails daetrain -q -t 1 -c ${f%:*}.cfg -o m.bin -e 1 -s 25 clean.ts
		says "daetrain: ${f%:*}.cfg:10: from: '${f#*:}' is not an earlier layer"
	done
	quiet
	[ ! -e m.bin ] && [ ! -e m.bin.ckpt ]
}

@test "bad input: an empty cfg, a binary file as cfg, a missing cfg" {
	: > empty.cfg
	fails daetrain -q -c empty.cfg -o m.bin -s 25 clean.ts
	says "daetrain: empty.cfg:1: the cfg must start with [net]"
	cp "$DATA/rgb.jpg" jpeg.cfg
	fails daetrain -q -c jpeg.cfg -o m.bin -s 25 clean.ts
	says "daetrain: jpeg.cfg:1: expected 'key = value' or '[section]'"
	fails daetrain -q -c missing.cfg -o m.bin -s 25 clean.ts
	says "daetrain: missing.cfg: No such file or directory"
	quiet
}

# ---------------------------------------------------------------- outputs

@test "bad output: a directory that cannot be made or written (a path under a regular file)" {
	: > file
	fails unpack file/sub < clean.ts
	says "unpack: file/sub: mkdir: Not a directory"
	fails packtensor -o file/sub/out.pack clean.ts
	says "packtensor: file/sub/out.pack: Not a directory"
	fails daetrain -q -c "$CFG" -o file/sub/m.bin -e 1 -s 25 clean.ts
	says "daetrain: file/sub/m.bin.ckpt: Not a directory"
	fails daetrain -q -c "$CFG" -o m.bin --log file/log.csv -e 1 -s 25 clean.ts
	says "daetrain: file/log.csv: Not a directory"
	[ ! -e m.bin ]
	quiet
	no_leftovers
}

@test "bad output: a file-size limit (a full disk for files) leaves no file under its final name" {
	mkrecord u8 big 200 200 3 > big.ts
	# ignoring SIGXFSZ makes the write fail with EFBIG, as a full disk fails it
	fails sh -c 'trap "" XFSZ; ulimit -f 8; unpack -f ppm dir < big.ts'
	says "unpack: dir/big.ppm: write: File too large"
	[ -z "$(ls -A dir)" ]
	fails sh -c 'trap "" XFSZ; ulimit -f 8; packtensor -l 0 -o out.pack big.ts'
	says "packtensor: out.pack: write: File too large"
	[ ! -e out.pack ]
	# a checkpoint that cannot be written leaves the previous model as it was
	cp "$M" m.bin
	fails sh -c 'trap "" XFSZ; ulimit -f 8; daetrain -q -c "$1" -o m.bin --checkpoint ck.bin -e 1 -s 25 clean.ts' sh "$CFG"
	says "daetrain: ck.bin: File too large"
	cmp m.bin "$M"
	[ ! -e ck.bin ]
	no_leftovers
}

@test "bad output: /dev/full on stdout is exit 1 with a message, for every program that writes stdout" {
	for i in 1 2 3; do mkrecord u8 "r$i" 64 64 3; done > in.ts
	packtensor -o in.pack in.ts
	cp "$DATA/rgb.jpg" .
	for cmd in "imgresize 64 rgb.jpg" "addnoise" "packtensor -x in.pack" "packtensor -t in.pack" \
		"daeinfer -w $M" "daeeval in.ts in.ts" "daemontage in.ts in.ts"; do
		fails sh -c "$cmd < in.ts > /dev/full"
		[[ "$stderr" == "${cmd%% *}: <stdout>: "*": No space left on device" ]] ||
			{ echo "$cmd: $stderr"; false; }
	done
	for p in $PROGS; do
		fails sh -c "$p --help > /dev/full"
		says "$p: <stdout>: flush: No space left on device"
		fails sh -c "$p --version > /dev/full"
		says "$p: <stdout>: flush: No space left on device"
	done
}

@test "bad output: stdout closed early (| head -c 10) is a quiet exit 0 for every filter" {
	for i in 1 2 3 4 5 6 7 8; do mkrecord u8 "r$i" 100 100 3; done > big.ts
	packtensor -o big.pack big.ts
	# listings of 3000 records are longer than a pipe holds
	perl -e 'print "TNSR", pack("CCCCvv", 1, 1, 3, 0, 0, 0), pack("V3", 1, 1, 3), "abc"
		for 1 .. 3000' > many.ts
	cp "$DATA/rgb.jpg" .
	for cmd in "imgresize 300 rgb.jpg rgb.jpg" "addnoise < big.ts" "packtensor -x big.pack" \
		"packtensor -t many.ts" "daeinfer -w $M big.ts" "daeeval many.ts many.ts" \
		"daemontage big.ts big.ts"; do
		run --separate-stderr bash -c "set -o pipefail; $cmd | head -c 10 > /dev/null"
		[ "$status" -eq 0 ] && [ -z "$stderr" ] || { echo "$cmd: exit $status: $stderr"; false; }
	done
}

# ---------------------------------------------------------------- usage

@test "bad usage: an unknown option is exit 2, the program's name, the usage line, nothing on stdout" {
	for p in $PROGS; do
		run -2 --separate-stderr "$p" --bogus < /dev/null
		quiet
		[ "${stderr_lines[0]}" = "$p: unrecognized option '--bogus'" ]
		[[ "${stderr_lines[1]}" == "usage: $p "* ]]
	done
}
