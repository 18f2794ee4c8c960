/* daeconvert: a network from one file format to another, each known by its
 * file name's extension: model(5) .bin to ONNX .onnx (lib/nn/onnx.c, plain C),
 * and ONNX .onnx or Keras .keras / .h5 to model(5) through the importer
 * cmd/daeconvert.py, which parses those files with the onnx and h5py
 * libraries under Python and writes the model to its stdout: here, a temp
 * file beside the output. The result is loaded back as daeinfer would load
 * it before it is renamed into place, so a file that comes out loads. */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"
#include "../lib/io/afile.h"
#include "../lib/nn/model.h"
#include "../lib/nn/onnx.h"

#ifndef LIBEXECDIR
#define LIBEXECDIR "/usr/local/libexec/dae"
#endif
#ifndef PYTHON
#define PYTHON "/usr/bin/python3"
#endif

static const char synopsis[] = "[-v] in out";

/* every option, for --help */
static const char options[] =
	"  -v, --verbose        print the layers and the numbers written on stderr\n"
	"  -h, --help           print this and exit\n"
	"  --version            print the version and exit\n";

enum fmt { F_NONE, F_MODEL, F_ONNX, F_KERAS };

static enum fmt
format(const char *path)
{
	static const struct {
		const char *ext;
		enum fmt f;
	} ext[] = { { ".bin", F_MODEL }, { ".onnx", F_ONNX }, { ".keras", F_KERAS }, { ".h5", F_KERAS } };
	size_t n = strlen(path), i, k;

	for (i = 0; i < sizeof ext / sizeof ext[0]; i++) {
		k = strlen(ext[i].ext);
		if (n > k && strcmp(path + n - k, ext[i].ext) == 0)
			return ext[i].f;
	}
	return F_NONE;
}

/* the output's temp file, registered for removal on SIGINT and SIGTERM */
static void
open_output(struct afile *af, const char *out)
{
	int e;

	/* rename would replace a device or fifo (as root, even /dev/null) */
	if ((e = afile_check(out)) != 0)
		die("%s: %s", out, afile_strerror(e));
	install_signal_cleanup();
	tmp_hold();
	if ((e = afile_open(af, out)) != 0)
		die("%s: %s", out, afile_strerror(e));
	tmp_register(af->tmp);
	tmp_release();
}

static void
commit_output(struct afile *af, const char *out)
{
	int e = afile_commit(af, AFILE_SYNC);

	tmp_clear();
	if (e != 0)
		die("%s: %s", out, afile_strerror(e));
}

static void
discard_output(struct afile *af)
{
	afile_abort(af);
	tmp_clear();
}

static void
export_onnx(const char *in, const char *out, int verbose)
{
	struct net net;
	struct nn_error err;
	struct afile af;
	unsigned char *buf;
	size_t n;

	if (model_load(in, &net, 64, 64, 1, NN_INFER, NULL, NULL, &err) != 0)
		die("%s", err.msg);
	if (onnx_export(&net, &buf, &n, &err) != 0)
		die("%s: line %d: %s", in, err.line, err.msg);
	open_output(&af, out);
	if (fwrite(buf, 1, n, af.fp) != n) {
		discard_output(&af);
		die("%s: write:", out);
	}
	commit_output(&af, out);
	if (verbose)
		fprintf(stderr, "daeconvert: %s: %d layers, %zu numbers, %zu bytes of ONNX\n", out,
		        net.nl - 1, net.nparams + net.nstate, n);
	free(buf);
	nn_free(&net);
}

/* the importer script: $DAECONVERT_IMPORTER, else cmd/daeconvert.py beside
 * a daeconvert run by path from the build tree, else the installed one */
static const char *
importer(const char *self, char *buf, size_t n)
{
	const char *env = getenv("DAECONVERT_IMPORTER"), *slash = strrchr(self, '/');

	if (env && *env)
		return env;
	if (slash && (size_t)(slash - self) + 32 < n) {
		snprintf(buf, n, "%.*s/cmd/daeconvert.py", (int)(slash - self), self);
		if (access(buf, R_OK) == 0)
			return buf;
	}
	return LIBEXECDIR "/daeconvert.py";
}

static void
import(const char *self, const char *in, const char *out, int verbose)
{
	const char *py = getenv("DAECONVERT_PYTHON");
	char path[4096];
	const char *script = importer(self, path, sizeof path);
	struct afile af;
	struct net net;
	struct nn_error err;
	pid_t pid;
	int st;

	if (!py || !*py)
		py = PYTHON;
	if (access(in, R_OK) != 0)
		die("%s:", in);
	if (access(script, R_OK) != 0)
		die("%s:", script);
	open_output(&af, out);
	if ((pid = fork()) < 0) {
		discard_output(&af);
		die("fork:");
	}
	if (pid == 0) {
		/* the importer writes the model on stdout: the temp file */
		if (dup2(fileno(af.fp), STDOUT_FILENO) < 0) {
			warn("dup2:");
			_exit(1);
		}
		execl(py, py, script, in, (char *)NULL);
		warn("%s:", py);
		_exit(1);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			discard_output(&af);
			die("wait:");
		}
	if (WIFSIGNALED(st)) {
		discard_output(&af);
		die("%s: the importer died of signal %d", in, WTERMSIG(st));
	}
	if (WEXITSTATUS(st) != 0) {
		/* the importer said what went wrong */
		discard_output(&af);
		exit(1);
	}
	if (fflush(af.fp) == EOF) {
		discard_output(&af);
		die("%s: write:", out);
	}
	if (model_load(af.tmp, &net, 64, 64, 1, NN_INFER, NULL, NULL, &err) != 0) {
		const char *msg = err.msg;
		if (strncmp(msg, af.tmp, strlen(af.tmp)) == 0 && msg[strlen(af.tmp)] == ':')
			msg += strlen(af.tmp) + 2;
		discard_output(&af);
		die("%s: the converted model does not load: %s", in, msg);
	}
	commit_output(&af, out);
	if (verbose)
		fprintf(stderr, "daeconvert: %s: %d layers, %zu numbers\n", out, net.nl - 1,
		        net.nparams + net.nstate);
	nn_free(&net);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	const char *self = argv[0] ? argv[0] : "daeconvert", *in, *out;
	enum fmt fin, fout;
	int c, verbose = 0;

	/* arguments */
	argv0 = "daeconvert";
	keep_std_fds();
	argv[0] = (char *)argv0;
	while ((c = getopt_long(argc, argv, "hv", longopts, NULL)) != -1) {
		switch (c) {
		case 'h': usage(stdout, 0, synopsis, options); break;
		case 'V': print_version(); break;
		case 'v': verbose = 1; break;
		default: usage(stderr, 2, synopsis, options);
		}
	}
	if (argc - optind < 2)
		usage_error(synopsis, "an input and an output file are required");
	if (argc - optind > 2)
		usage_error(synopsis, "unexpected operand '%s'", argv[optind + 2]);
	in = argv[optind];
	out = argv[optind + 1];
	fin = format(in);
	fout = format(out);
	if (fin == F_NONE)
		usage_error(synopsis, "%s: not .bin, .onnx, .keras or .h5", in);

	/* convert */
	if (fin == F_MODEL && fout == F_ONNX)
		export_onnx(in, out, verbose);
	else if ((fin == F_ONNX || fin == F_KERAS) && fout == F_MODEL)
		import(self, in, out, verbose);
	else
		usage_error(synopsis, "%s: can only become .onnx (from .bin) or .bin (from .onnx, "
		            ".keras, .h5)", out);
	return fshut(stdout, "<stdout>");
}
