/*
 * hostinfo.c - host probes for `vmbench info` and run metadata.
 */
#include "hostinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/kvm.h>
#include <linux/perf_event.h>
#include <perfmon/pfmlib.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <Zydis/Zydis.h>

#include "machine/machine.h"
#include "strutil.h"

const char *hostinfo_root(void)
{
	const char *r = getenv("VMB_HOST_ROOT");
	return r ? r : "";
}

void hostinfo_path(char *out, size_t outlen, const char *path)
{
	snprintf(out, outlen, "%s%s", hostinfo_root(), path);
}

/* First line of the file at root + (path) into (buf); false if unreadable. */
static bool file_line_read(const char *path, char *buf, size_t len)
{
	char p[512];
	hostinfo_path(p, sizeof(p), path);
	FILE *f = fopen(p, "r");
	if (!f)
		return false;
	bool ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

static bool path_exists(const char *path)
{
	char p[512];
	struct stat st;
	hostinfo_path(p, sizeof(p), path);
	return stat(p, &st) == 0;
}

static void cpu_model_read(char *out, size_t len)
{
	char p[512], line[512];
	hostinfo_path(p, sizeof(p), "/proc/cpuinfo");
	str_copy(out, len, "unknown (no model name in /proc/cpuinfo)");
	FILE *f = fopen(p, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "model name", 10) != 0)
			continue;
		char *v = strchr(line, ':');
		if (v) {
			v += 1 + strspn(v + 1, " \t");
			v[strcspn(v, "\n")] = '\0';
			snprintf(out, len, "%s", v);
		}
		break;
	}
	fclose(f);
}

/* A kvm module parameter is on when it reads Y, y or 1. */
static int kvm_param_read(const char *path)
{
	char v[16];
	if (!file_line_read(path, v, sizeof(v)))
		return -1;
	return v[0] == 'Y' || v[0] == 'y' || v[0] == '1';
}

void hostinfo_kvm_backend(char *name, size_t namelen, char *detail,
			  size_t detaillen)
{
	int ept = kvm_param_read("/sys/module/kvm_intel/parameters/ept");
	int npt = kvm_param_read("/sys/module/kvm_amd/parameters/npt");

	if (path_exists("/sys/module/kvm_pvm")) {
		snprintf(name, namelen, "PVM");
		snprintf(detail, detaillen,
			 "kvm_pvm module loaded (software backend, no VMX/SVM)");
	} else if (ept >= 0) {
		snprintf(name, namelen, ept ? "VMX+EPT" : "VMX shadow paging");
		snprintf(detail, detaillen, "kvm_intel ept=%s",
			 ept ? "Y" : "N");
	} else if (npt >= 0) {
		snprintf(name, namelen, npt ? "SVM+NPT" : "SVM shadow paging");
		snprintf(detail, detaillen, "kvm_amd npt=%s", npt ? "1" : "0");
	} else {
		snprintf(name, namelen, "none");
		snprintf(detail, detaillen,
			 "none of kvm_intel, kvm_amd, kvm_pvm is loaded "
			 "(no /sys/module/kvm_{intel,amd,pvm})");
	}
}

bool hostinfo_kvm_access(char *why, size_t whylen, bool *present)
{
	char p[512];
	hostinfo_path(p, sizeof(p), "/dev/kvm");
	*present = path_exists("/dev/kvm");
	int fd = open(p, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		if (e == ENOENT)
			snprintf(why, whylen,
				 "%s does not exist (load kvm_intel, kvm_amd "
				 "or kvm_pvm; inside a VM enable nested "
				 "virtualization)", p);
		else if (e == EACCES || e == EPERM)
			snprintf(why, whylen,
				 "%s: permission denied (add the user to "
				 "group kvm or run as root)", p);
		else
			snprintf(why, whylen, "%s: open: %s", p, strerror(e));
		return false;
	}
	/* A fake root may hold a plain file: it is not a KVM device. */
	int api = ioctl(fd, KVM_GET_API_VERSION, 0);
	int e = errno;
	close(fd);
	if (api < 0) {
		snprintf(why, whylen, "%s: KVM_GET_API_VERSION: %s", p,
			 strerror(e));
		return false;
	}
	if (api != KVM_API_VERSION) {
		snprintf(why, whylen, "%s: KVM API version %d, need %d", p,
			 api, KVM_API_VERSION);
		return false;
	}
	why[0] = '\0';
	return true;
}

static long perf_open(struct perf_event_attr *a)
{
	return syscall(SYS_perf_event_open, a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
}

/* Open hardware cycles on this process: 0, or the errno. */
static int pmu_cycles_try(void)
{
	struct perf_event_attr a;
	memset(&a, 0, sizeof(a));
	a.size = sizeof(a);
	a.type = PERF_TYPE_HARDWARE;
	a.config = PERF_COUNT_HW_CPU_CYCLES;
	a.disabled = 1;
	a.exclude_kernel = 1;
	long fd = perf_open(&a);
	if (fd < 0)
		return errno;
	close((int)fd);
	return 0;
}

bool hostinfo_pmu_usable(char *why, size_t whylen)
{
	int e = pmu_cycles_try();
	char par[16] = "?";
	file_line_read("/proc/sys/kernel/perf_event_paranoid", par,
		       sizeof(par));
	if (!path_exists("/sys/bus/event_source/devices/cpu") &&
	    !path_exists("/sys/bus/event_source/devices/cpu_core")) {
		char p[512], res[96];
		hostinfo_path(p, sizeof(p), "/sys/bus/event_source/devices");
		if (e)
			snprintf(res, sizeof(res), "%s", strerror(e));
		else
			snprintf(res, sizeof(res), "opens (the probe root %s is "
				 "simulated)", hostinfo_root());
		snprintf(why, whylen,
			 "no hardware PMU: %.300s has no cpu PMU (typical in a "
			 "VM without PMU passthrough); perf_event_open(cycles): "
			 "%s; only software events", p, res);
		return false;
	}
	if (e) {
		snprintf(why, whylen,
			 "perf_event_open(cycles) failed: %s%s (paranoid=%s)",
			 strerror(e),
			 e == ENOENT || e == EOPNOTSUPP ?
				 ": hardware event not supported" : "",
			 par);
		return false;
	}
	why[0] = '\0';
	return true;
}

bool hostinfo_qemu_version(char *out, size_t outlen)
{
	FILE *p = popen("qemu-system-x86_64 --version 2>/dev/null", "r");
	if (p) {
		bool ok = fgets(out, (int)outlen, p) != NULL;
		int st = pclose(p);
		if (ok && st == 0) {
			out[strcspn(out, "\n")] = '\0';
			return true;
		}
	}
	snprintf(out, outlen,
		 "qemu-system-x86_64 not found in PATH (install "
		 "qemu-system-x86)");
	return false;
}

static void versions_read(struct host_info *h)
{
	ZyanU64 zv = ZydisGetVersion();
	snprintf(h->zydis_version, sizeof(h->zydis_version), "%u.%u.%u",
		 (unsigned)ZYDIS_VERSION_MAJOR(zv),
		 (unsigned)ZYDIS_VERSION_MINOR(zv),
		 (unsigned)ZYDIS_VERSION_PATCH(zv));
	int pv = pfm_get_version();
	snprintf(h->pfm_version, sizeof(h->pfm_version), "API %d.%d",
		 PFM_MAJ_VERSION(pv), PFM_MIN_VERSION(pv));
	str_copy(h->sqlite_version, sizeof(h->sqlite_version), sqlite3_libversion());
	str_copy(h->jansson_version, sizeof(h->jansson_version), jansson_version_str());
}

void hostinfo_probe(struct host_info *h)
{
	memset(h, 0, sizeof(*h));
	cpu_model_read(h->cpu_model, sizeof(h->cpu_model));
	h->tsc_khz = machine_host_tsc_khz();
	struct utsname u;
	if (uname(&u) == 0) {
		snprintf(h->kernel, sizeof(h->kernel), "%s %s", u.sysname,
			 u.release);
		str_copy(h->hostname, sizeof(h->hostname), u.nodename);
	}
	h->kvm_usable = hostinfo_kvm_access(h->kvm_why, sizeof(h->kvm_why),
					    &h->kvm_present);
	hostinfo_kvm_backend(h->kvm_backend, sizeof(h->kvm_backend),
			     h->kvm_backend_detail,
			     sizeof(h->kvm_backend_detail));
	h->pmu_usable = hostinfo_pmu_usable(h->pmu_why, sizeof(h->pmu_why));
	versions_read(h);
	h->qemu_present = hostinfo_qemu_version(h->qemu_version,
						sizeof(h->qemu_version));
}

void hostinfo_print(const struct host_info *h)
{
	printf("host\n");
	printf("  cpu            %s\n", h->cpu_model);
	printf("  tsc            %llu kHz\n", (unsigned long long)h->tsc_khz);
	printf("  kernel         %s\n", h->kernel);
	if (h->kvm_usable)
		printf("  /dev/kvm       usable\n");
	else
		printf("  /dev/kvm       not available here: %s\n", h->kvm_why);
	printf("  kvm backend    %s (%s)\n", h->kvm_backend,
	       h->kvm_backend_detail);
	if (h->pmu_usable)
		printf("  pmu            usable (hardware counters)\n");
	else
		printf("  pmu            not available here: %s\n", h->pmu_why);
	printf("libraries\n");
	printf("  zydis          %s\n", h->zydis_version);
	printf("  libpfm4        %s\n", h->pfm_version);
	printf("  sqlite         %s\n", h->sqlite_version);
	printf("  jansson        %s\n", h->jansson_version);
	if (h->qemu_present)
		printf("  qemu           %s\n", h->qemu_version);
	else
		printf("  qemu           not available here: %s\n",
		       h->qemu_version);
}
