/* elf_build.c - see elf_build.h. */
#include "elf_build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmb_abi.h"

#define ALIGN16(x) (((x) + 15) & ~(size_t)15)

uint8_t *test_elf_build(const struct test_elf_seg *segs, unsigned nsegs,
			uint64_t entry, size_t *len)
{
	size_t off = ALIGN16(sizeof(Elf64_Ehdr) + nsegs * sizeof(Elf64_Phdr));
	size_t total = off;
	uint8_t *img;
	Elf64_Ehdr *eh;

	for (unsigned i = 0; i < nsegs; i++)
		total += ALIGN16(segs[i].filesz);
	img = calloc(1, total);
	if (!img)
		return NULL;
	eh = (Elf64_Ehdr *)img;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = entry;
	eh->e_phoff = sizeof(Elf64_Ehdr);
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = (uint16_t)nsegs;
	for (unsigned i = 0; i < nsegs; i++) {
		Elf64_Phdr *ph = test_elf_phdr(img, i);

		ph->p_type = segs[i].type;
		ph->p_flags = segs[i].flags;
		ph->p_offset = off;
		ph->p_vaddr = segs[i].vaddr;
		ph->p_paddr = segs[i].paddr;
		ph->p_filesz = segs[i].filesz;
		ph->p_memsz = segs[i].memsz;
		ph->p_align = 16;
		if (segs[i].data)
			memcpy(img + off, segs[i].data, segs[i].filesz);
		else
			for (uint64_t k = 0; k < segs[i].filesz; k++)
				img[off + k] = (uint8_t)(i * 16 + k);
		off += ALIGN16(segs[i].filesz);
	}
	*len = total;
	return img;
}

uint8_t *test_elf_kernel(const void *code, size_t codelen, size_t *len)
{
	static const uint8_t jmp_self[] = { 0xeb, 0xfe };
	const struct test_elf_seg segs[] = {
		{ PT_LOAD, PF_R | PF_X, VMB_KERNEL_VBASE + 0x100000, 0x100000,
		  code ? codelen : sizeof(jmp_self), 0x1000,
		  code ? code : jmp_self },
		{ PT_LOAD, PF_R | PF_W, VMB_KERNEL_VBASE + 0x200000, 0x200000,
		  0x100, 0x3000, NULL },
	};

	if (code && codelen > 0x1000)
		return NULL;
	return test_elf_build(segs, 2, VMB_KERNEL_VBASE + 0x100000, len);
}

Elf64_Ehdr *test_elf_ehdr(uint8_t *img)
{
	return (Elf64_Ehdr *)img;
}

Elf64_Phdr *test_elf_phdr(uint8_t *img, unsigned i)
{
	return (Elf64_Phdr *)(img + sizeof(Elf64_Ehdr)) + i;
}

size_t test_elf_pvh_note(uint8_t out[20], uint32_t entry)
{
	const uint32_t hdr[3] = { 4, 4, 18 };

	memcpy(out, hdr, 12);
	memcpy(out + 12, "Xen", 4);
	memcpy(out + 16, &entry, 4);
	return 20;
}

char *test_file_write(const void *buf, size_t len)
{
	char *path = strdup("/tmp/vmbench-test-XXXXXX");
	int fd;

	if (!path)
		return NULL;
	fd = mkstemp(path);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len) {
		if (fd >= 0)
			close(fd), unlink(path);
		free(path);
		return NULL;
	}
	close(fd);
	return path;
}

int test_elf_flat_kernel_file(const void *code, size_t codelen, char *path,
			      size_t pathlen)
{
	const struct test_elf_seg seg = {
		PT_LOAD, PF_R | PF_W | PF_X, VMB_KERNEL_VBASE + 0x100000,
		0x100000, codelen, codelen + 0x10000, code
	};
	size_t len;
	uint8_t *img = test_elf_build(&seg, 1, VMB_KERNEL_VBASE + 0x100000,
				      &len);
	char *p = img ? test_file_write(img, len) : NULL;
	int rc = p && strlen(p) < pathlen ? 0 : -1;

	if (p && !rc)
		memcpy(path, p, strlen(p) + 1);
	else if (p)
		unlink(p);
	free(p);
	free(img);
	return rc;
}
