/* train.h: the training loop of daetrain, as a library so it can be tested.
 *
 * ABOUT
 *   Keras' fit() for a denoiser, made reproducible: each epoch shuffles the
 *   training samples with a permutation drawn from (seed, epoch); each
 *   sample's crop, flip and fresh noise come from (seed, epoch, sample).
 *   Nothing depends on what ran before, so a run resumed from a checkpoint
 *   continues bit for bit as the uninterrupted run would (at a given thread
 *   count). Early stopping is Keras' EarlyStopping (min_delta 0; stop when
 *   the monitored loss has not improved for `patience` epochs); the final
 *   weights are the last epoch's, as Keras leaves them.
 *
 *   Noisy inputs come from a paired dataset (fixed noise, as the tutorial
 *   trains) or are drawn afresh each epoch from o.noise; with o.sigma_max > 0
 *   each sample gets Gaussian noise of a std drawn uniformly in [sigma_min,
 *   sigma_max] (blind denoising). With o.patch the samples are random
 *   patch x patch crops; o.augment adds the 8 flips and rotations;
 *   o.augment_color permutes RGB channels and scales saturation by 0.5..1.5
 *   (channel order only, with a noisy set). A network with a [noisemap]
 *   is told each sample's noise std (nn_noise); it trains on noise drawn
 *   here, Gaussian alone, since a paired set's level is unknown.
 *
 *   Data-parallel training (o.dist, see docs/cluster.md): P copies of the
 *   loop, one per process, run in lockstep on the same seeded order. Each
 *   step takes a global batch of P x o.batch samples, of which copy r
 *   trains on the r-th slice; the gradients, weighted by each slice's share
 *   of the batch, are summed over the copies before Adam, so every copy
 *   takes the same step and the result is that of one process with batch
 *   P x o.batch, to float rounding, for a network without BatchNorm.
 *   BatchNorm normalises with each copy's own batch statistics, as Keras'
 *   MirroredStrategy and PyTorch's DistributedDataParallel do; its moving
 *   statistics are averaged over the copies after every step (the copies
 *   that had samples), which keeps them identical everywhere and equals,
 *   the update being linear, averaging them once at the end. Validation is
 *   sharded by batch and its sums reduced. Every copy ends with the same
 *   weights, history and early-stopping decision; writing files is the
 *   caller's choice (daetrain: rank 0 only).
 *
 * USAGE
 *   tr_init(&tr, &net, &opt, clean, noisy, vclean, vnoisy, &err)
 *        noisy, vclean, vnoisy may be NULL; with vclean NULL and
 *        opt.val_split > 0 the last val_split of the samples validate
 *   tr_epoch(&tr, stop, progress, arg, &err)   one epoch, or until *stop;
 *        returns TR_EPOCH, TR_DONE (epochs run out or early stop),
 *        TR_STOPPED or TR_ERROR; with opt.dist every process calls it,
 *        and a stop seen by any of them stops all after the step in hand
 *   tr_rate(&tr)                  the learning rate of the next step: o.adam.lr,
 *        or with o.lr_min > 0 cosine decay from it over the planned
 *        o.epochs, reaching o.lr_min after the last step (SGDR without
 *        restarts, PyTorch's CosineAnnealingLR stepped per batch)
 *   tr_save(&tr, path, &errnum)   checkpoint: model + Adam + progress
 *   tr_restore(&tr, path, &err)   continue from a checkpoint
 *   tr.hist[0 .. tr.epoch - 1]    per-epoch figures
 *   tr_free(&tr)
 *   ds_memory(&ds, n, h, w, c, is_u8, data)   a dataset over a buffer (owns it)
 *   ds_memory_mixed(&ds, n, c, is_u8, data, dims)   the same over images of
 *                               mixed sizes, one after another; dims holds
 *                               height, width for each (owned too); training
 *                               on such a set needs o.patch
 *   ds_pack(&ds, pk)            a dataset over an open pack, read sample by
 *                               sample, so a pack larger than memory trains;
 *                               0, or -1 when the pack is not of images
 *   ds.release(&ds)             free what the dataset owns (not the pack)
 *
 * ERRORS
 *   0 / -1 with a struct nn_error, or the tr_status codes above. A failed
 *   reduction is TR_ERROR.
 *
 * MEMORY
 *   Batch buffers (2 x batch x sample), one sample of scratch and the
 *   orders; datasets are the caller's. A memory dataset holds every image;
 *   a pack dataset one compressed chunk and one sample. The network's arenas are the
 *   network's (see nn.h).
 */
#ifndef TRAIN_H
#define TRAIN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "nn.h"
#include "../image/noise.h"

struct dataset {
	size_t n, h, w, c;
	/* mixed: samples differ in height and width (same channels); then h x w
	 * bounds every sample's pixel count and minh, minw are the smallest
	 * height and width; otherwise all are h x w and minh, minw equal them */
	int mixed;
	size_t minh, minw;
	/* sample i as floats on 0..255, its height and width in *h, *w; 0, or
	 * -1 with msg filled */
	int (*get)(const struct dataset *ds, size_t i, float *out, size_t *h, size_t *w,
	           char *msg, size_t len);
	void (*release)(struct dataset *ds);
	void *impl;
};

/* the processes of a data-parallel run; sum_f and sum_d add x elementwise
 * over all of them, in place, leave every process the same result, and
 * return 0, or -1 on failure. Every process must make the same calls. */
struct tr_dist {
	int rank, size;
	int (*sum_f)(void *arg, float *x, size_t n);
	int (*sum_d)(void *arg, double *x, size_t n);
	void *arg;
};

struct tr_opt {
	size_t batch, epochs, patience;
	size_t patch;                   /* 0: whole samples */
	size_t repeat;                  /* samples drawn from each image per epoch */
	int augment;
	int augment_color;               /* RGB channel order and saturation */
	int monitor_val;                /* early stopping on val loss, not loss */
	double val_split;
	struct adam_hp adam;
	float lr_min;                   /* > 0: cosine decay from adam.lr to this */
	uint64_t seed;
	struct noise_opt noise;         /* fresh noise when there is no noisy set */
	int fixed_noise;                /* draw it once, not every epoch */
	float sigma_min, sigma_max;     /* blind: std uniform in this range */
	const struct tr_dist *dist;     /* NULL: one process; o.batch is per process */
};

struct tr_epoch {
	double loss, val_loss, val_psnr, seconds;
};

enum tr_status { TR_EPOCH, TR_DONE, TR_STOPPED, TR_ERROR };

struct trainer {
	struct tr_opt o;
	struct net *net;
	const struct dataset *clean, *noisy, *vclean, *vnoisy;
	size_t h, w, c;                 /* training sample geometry */
	size_t *train, ntrain;          /* sample indices */
	size_t *val, nval;
	size_t *order;                  /* this epoch's order */
	/* progress, all saved in checkpoints */
	size_t epoch;                   /* epochs completed */
	size_t pos;                     /* samples done in the current epoch */
	double run_loss;                /* sum of batch loss x batch size so far */
	double run_seconds;
	double best;
	size_t wait;
	int done;
	int stopping;                   /* with o.dist: some process was asked to stop */
	struct tr_epoch *hist;
	float *x, *t, *a, *b;           /* batch input, target; sample scratch */
};

void ds_memory(struct dataset *ds, size_t n, size_t h, size_t w, size_t c, int is_u8, void *data);
void ds_memory_mixed(struct dataset *ds, size_t n, size_t c, int is_u8, void *data, size_t *dims);
struct pk_reader;
int ds_pack(struct dataset *ds, struct pk_reader *pk);

int tr_init(struct trainer *tr, struct net *net, const struct tr_opt *o,
            const struct dataset *clean, const struct dataset *noisy,
            const struct dataset *vclean, const struct dataset *vnoisy, struct nn_error *err);
enum tr_status tr_epoch(struct trainer *tr, volatile sig_atomic_t *stop,
                        void (*progress)(void *arg, size_t done, size_t total, double loss),
                        void *arg, struct nn_error *err);
float tr_rate(const struct trainer *tr);
int tr_save(const struct trainer *tr, const char *path, int *errnum);
int tr_restore(struct trainer *tr, const char *path, struct nn_error *err);
void tr_free(struct trainer *tr);

#endif
