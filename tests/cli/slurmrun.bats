#!/usr/bin/env bats
# tests/slurm/run where Slurm cannot start: it fails, says why and counts a
# failure, rather than skipping (make test-slurm runs it for real).

load common

@test "tests/slurm/run without Slurm's programs fails and says which is missing" {
	cd "$BATS_TEST_TMPDIR"
	mkdir bin
	for p in dirname id; do ln -s "$(command -v $p)" bin/$p; done
	run -1 env PATH="$PWD/bin" /bin/sh "$ROOT/tests/slurm/run"
	[ "${lines[0]}" = "not ok - private Slurm: munged not found (Debian: apt-get install slurm-wlm munge, as pipelines/install-deps.sh does)" ]
	[ "${lines[1]}" = "0 passed, 1 failed" ]
}
