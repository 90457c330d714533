/*
 * kvm_stats.c - parse a KVM binary statistics file (KVM_GET_STATS_FD).
 *
 * Layout (Documentation/virt/kvm/api.rst, "KVM_GET_STATS_FD"): a header
 * {flags, name_size, num_desc, id_offset, desc_offset, data_offset}, the id
 * string, num_desc descriptors of sizeof(struct kvm_stats_desc) + name_size
 * bytes each, and the data block of u64 values. Descriptors never change
 * for the life of the fd, so they are parsed once; reading values is one
 * pread of the data block.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm/libkvm/libkvm.h"

static int stats_pread(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread(fd, buf, len, (off_t)off);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -ENODATA;
}

/* Copy and check descriptor (i) of the raw table (raw). */
static int stats_desc_parse(struct kvm_stats *st, unsigned i,
			    const struct kvm_stats_desc *d, size_t name_size,
			    char *err, size_t errlen)
{
	struct kvm_stat_info *s = &st->desc[i];
	size_t len = strnlen(d->name, name_size);

	if (len == 0 || len == name_size || len >= KVM_STAT_NAME_MAX) {
		snprintf(err, errlen, "stats %s: descriptor %u: name not "
			 "NUL-terminated or too long", st->id, i);
		return -EINVAL;
	}
	memcpy(s->name, d->name, len);
	s->name[len] = '\0';
	s->flags = d->flags;
	s->exponent = d->exponent;
	s->size = d->size;
	s->offset = d->offset;
	if (s->size == 0 || s->offset % 8) {
		snprintf(err, errlen, "stats %s: %s: size %u offset %u "
			 "invalid", st->id, s->name, s->size, s->offset);
		return -EINVAL;
	}
	if (s->offset / 8 + s->size > st->data_words)
		st->data_words = s->offset / 8 + s->size;
	return 0;
}

int kvm_stats_open(struct kvm_stats *st, int fd, char *err, size_t errlen)
{
	struct kvm_stats_header h;
	size_t dsz;
	char *raw = NULL;
	int r;

	memset(st, 0, sizeof(*st));
	st->fd = -1;
	r = stats_pread(fd, &h, sizeof(h), 0);
	if (r < 0) {
		snprintf(err, errlen, "stats fd %d: header: %s", fd,
			 strerror(-r));
		return r;
	}
	if (h.name_size == 0 || h.name_size > 4096 || h.num_desc > 4096) {
		snprintf(err, errlen, "stats fd %d: implausible header "
			 "(name_size %u, num_desc %u)", fd, h.name_size,
			 h.num_desc);
		return -EINVAL;
	}
	r = stats_pread(fd, st->id, h.name_size < sizeof(st->id) ?
			h.name_size : sizeof(st->id) - 1, h.id_offset);
	if (r < 0) {
		snprintf(err, errlen, "stats fd %d: id string: %s", fd,
			 strerror(-r));
		return r;
	}
	st->id[sizeof(st->id) - 1] = '\0';
	dsz = sizeof(struct kvm_stats_desc) + h.name_size;
	raw = malloc(dsz * h.num_desc + 1);
	st->desc = calloc(h.num_desc + 1, sizeof(*st->desc));
	if (!raw || !st->desc) {
		snprintf(err, errlen, "stats %s: out of memory", st->id);
		r = -ENOMEM;
		goto fail;
	}
	r = stats_pread(fd, raw, dsz * h.num_desc, h.desc_offset);
	if (r < 0) {
		snprintf(err, errlen, "stats %s: %u descriptors at offset %u: "
			 "%s", st->id, h.num_desc, h.desc_offset,
			 strerror(-r));
		goto fail;
	}
	for (unsigned i = 0; i < h.num_desc; i++) {
		r = stats_desc_parse(st, i, (const void *)(raw + i * dsz),
				     h.name_size, err, errlen);
		if (r < 0)
			goto fail;
	}
	st->n = h.num_desc;
	st->data_offset = h.data_offset;
	st->data = calloc(st->data_words + 1, sizeof(uint64_t));
	if (!st->data) {
		r = -ENOMEM;
		goto fail;
	}
	st->fd = fd;
	r = kvm_stats_read(st);
	if (r < 0) {
		snprintf(err, errlen, "stats %s: data block (%zu values at "
			 "offset %llu): %s", st->id, st->data_words,
			 (unsigned long long)st->data_offset, strerror(-r));
		st->fd = -1;
		goto fail;
	}
	free(raw);
	return 0;
fail:
	free(raw);
	free(st->desc);
	free(st->data);
	st->desc = NULL;
	st->data = NULL;
	st->n = 0;
	return r;
}

void kvm_stats_close(struct kvm_stats *st)
{
	if (st->fd >= 0)
		close(st->fd);
	free(st->desc);
	free(st->data);
	st->desc = NULL;
	st->data = NULL;
	st->n = 0;
	st->fd = -1;
}

int kvm_stats_read(struct kvm_stats *st)
{
	return stats_pread(st->fd, st->data, st->data_words * 8,
			   st->data_offset);
}

int kvm_stats_find(const struct kvm_stats *st, const char *name)
{
	for (unsigned i = 0; i < st->n; i++)
		if (strcmp(st->desc[i].name, name) == 0)
			return (int)i;
	return -1;
}

bool kvm_stats_is_hist(const struct kvm_stats *st, unsigned i)
{
	uint32_t type = st->desc[i].flags & KVM_STATS_TYPE_MASK;

	return st->desc[i].size > 1 || type == KVM_STATS_TYPE_LINEAR_HIST ||
	       type == KVM_STATS_TYPE_LOG_HIST;
}
