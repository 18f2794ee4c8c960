# pipelines/shards.mk: denoise a large set in shards, one make job per shard
# and one thread per job, so make -j fills the cores; the result is byte for
# byte what the serial pipeline writes (docs/cluster.md).
#
#   find photos -name '*.jpg' | LC_ALL=C sort > photos.list
#   split -l 200 photos.list shard.     # shard.aa, shard.ab, ...
#   for f in shard.??; do mv "$f" "$f.list"; done
#   make -f pipelines/shards.mk -j 8 MODEL=model.bin OUT=denoised.ts \
#       PARTS="$(echo shard.*.list | sed 's/\.list/.den/g')"
#
# A shard is either a list of photos, NAME.list (one path a line, for
# imgresize), or a tensor stream, NAME.ts; either becomes NAME.den, resized
# (lists only), noised with NOISE (empty: the photos are denoised as they
# are) and denoised with MODEL. OUT is the parts in the order of PARTS.
# Recipes write $@.tmp and rename it, so a rerun redoes only missing parts.
.POSIX:
.SUFFIXES:
.SUFFIXES: .list .ts .den

BIN = .
MODEL = model.bin
SIZE = 300
NOISE = -m 10 -s 50
OUT = denoised.ts
PARTS =

$(OUT): $(PARTS)
	@[ -n "$(PARTS)" ] || { echo "shards.mk: PARTS is empty" >&2; exit 1; }
	cat $(PARTS) > $@.tmp
	mv $@.tmp $@

$(PARTS): $(MODEL)

.ts.den:
	{ if [ -n "$(NOISE)" ]; then $(BIN)/addnoise $(NOISE); else cat; fi; } < $< | \
		$(BIN)/daeinfer -t 1 -w $(MODEL) > $@.tmp
	mv $@.tmp $@

.list.den:
	tr '\n' '\0' < $< | xargs -0 $(BIN)/imgresize $(SIZE) | \
		{ if [ -n "$(NOISE)" ]; then $(BIN)/addnoise $(NOISE); else cat; fi; } | \
		$(BIN)/daeinfer -t 1 -w $(MODEL) > $@.tmp
	mv $@.tmp $@
