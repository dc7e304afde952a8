// Loads every program of a BPF object into the running kernel the way libbpf 1.5 (and veristat) does,
// one program at a time (the others' autoload off, `?` sections included), and prints one JSON line per
// program with everything the kernel was handed: program type, expected attach type, attach BTF id,
// flags, the final instructions (map fds replaced by map indexes), func/line info, the object BTF,
// the maps created (attrs and initial values), and the kernel's verdict and log (level 1 + stats).
// The interposed syscall() sees every bpf(2) call libbpf makes.
//
//   libbpf-load OBJ.o [PROG]        (built by scripts/verifier-selftests/record.ts against libbpf 1.5)
// Programs named `devbound_*` are loaded device-bound (BPF_F_XDP_DEV_BOUND_ONLY) to the device $DEVBOUND_IFINDEX.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>
#include <linux/bpf.h>

#ifndef BPF_F_XDP_DEV_BOUND_ONLY
#define BPF_F_XDP_DEV_BOUND_ONLY (1U << 6)
#endif

#define MAXMAPS 256
#define MAXBTF 64
struct map_rec { int fd; int live; union bpf_attr attr; unsigned char *init; unsigned init_size; int frozen; };
static struct map_rec maps[MAXMAPS];
static int nmaps;
struct btf_rec { int fd; unsigned char *data; unsigned size; };
static struct btf_rec btfs[MAXBTF];
static int nbtfs;
static int have_prog;
static union bpf_attr prog_attr;
static struct bpf_insn *prog_insns;
static unsigned char *prog_fi, *prog_li;
static long prog_ret;
static char want_name[16];

static unsigned char *dup_bytes(const void *p, size_t n) {
  unsigned char *out = malloc(n ? n : 1);
  if (n) memcpy(out, p, n);
  return out;
}

static void hex(const unsigned char *p, size_t n) {
  for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
}

static void json_str(const char *s) {
  putchar('"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c == '\n') printf("\\n");
    else if (c == '\t') printf("\\t");
    else if (c < 0x20 || c >= 0x7f) printf("\\u%04x", c);
    else putchar(c);
  }
  putchar('"');
}

static struct map_rec *map_by_fd(int fd) {
  for (int i = nmaps - 1; i >= 0; i--) if (maps[i].live && maps[i].fd == fd) return &maps[i];
  return NULL;
}

long syscall(long nr, ...) {
  va_list ap;
  va_start(ap, nr);
  long a = va_arg(ap, long), b = va_arg(ap, long), c = va_arg(ap, long), d = va_arg(ap, long), e = va_arg(ap, long);
  va_end(ap);
  static long (*real)(long, ...);
  if (!real) real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
  long ret = real(nr, a, b, c, d, e);
  if (nr == __NR_dup3 && ret >= 0) {
    // libbpf creates a map (or BTF) and moves it onto the fd it reserved at open time (reuse_fd)
    struct map_rec *m = map_by_fd((int)a);
    if (m && nmaps < MAXMAPS) {
      for (int i = 0; i < nmaps; i++) if (maps[i].fd == ret) maps[i].live = 0;
      maps[nmaps] = *m;
      maps[nmaps].fd = (int)ret;
      nmaps++;
    }
    for (int i = nbtfs - 1; i >= 0; i--) {
      if (btfs[i].fd != (int)a || nbtfs >= MAXBTF) continue;
      btfs[nbtfs] = btfs[i];
      btfs[nbtfs].fd = (int)ret;
      btfs[nbtfs].data = dup_bytes(btfs[i].data, btfs[i].size);
      nbtfs++;
      break;
    }
    return ret;
  }
  if (nr != __NR_bpf) return ret;
  union bpf_attr *attr = (union bpf_attr *)b;
  if (a == BPF_MAP_CREATE && ret >= 0 && nmaps < MAXMAPS) {
    // an fd number is reused once closed: the newest map with an fd is the one it names
    for (int i = 0; i < nmaps; i++) if (maps[i].fd == ret) maps[i].live = 0;
    struct map_rec *m = &maps[nmaps++];
    memset(m, 0, sizeof(*m));
    m->fd = (int)ret;
    m->live = 1;
    memcpy(&m->attr, attr, (size_t)c < sizeof(union bpf_attr) ? (size_t)c : sizeof(union bpf_attr));
  } else if (a == BPF_MAP_UPDATE_ELEM && ret == 0) {
    struct map_rec *m = map_by_fd(attr->map_fd);
    if (m && !m->init && m->attr.map_type == BPF_MAP_TYPE_ARRAY && m->attr.max_entries == 1 && *(unsigned *)(unsigned long)attr->key == 0) {
      m->init_size = m->attr.value_size;
      m->init = dup_bytes((void *)(unsigned long)attr->value, m->init_size);
    }
  } else if (a == BPF_MAP_FREEZE && ret == 0) {
    struct map_rec *m = map_by_fd(attr->map_fd);
    if (m) m->frozen = 1;
  } else if (a == BPF_BTF_LOAD && ret >= 0 && nbtfs < MAXBTF) {
    for (int i = 0; i < nbtfs; i++) if (btfs[i].fd == ret) btfs[i].fd = -1;
    btfs[nbtfs].fd = (int)ret;
    btfs[nbtfs].size = attr->btf_size;
    btfs[nbtfs].data = dup_bytes((void *)(unsigned long)attr->btf, attr->btf_size);
    nbtfs++;
  } else if (a == BPF_PROG_LOAD && (size_t)c >= offsetof(union bpf_attr, line_info_cnt) + 4 && !strncmp(attr->prog_name, want_name, 15) && want_name[0]) {
    have_prog = 1;
    memset(&prog_attr, 0, sizeof(prog_attr));
    memcpy(&prog_attr, attr, (size_t)c < sizeof(union bpf_attr) ? (size_t)c : sizeof(union bpf_attr));
    free(prog_insns); free(prog_fi); free(prog_li);
    prog_insns = (struct bpf_insn *)dup_bytes((void *)(unsigned long)attr->insns, (size_t)attr->insn_cnt * 8);
    prog_fi = dup_bytes((void *)(unsigned long)attr->func_info, (size_t)attr->func_info_cnt * attr->func_info_rec_size);
    prog_li = dup_bytes((void *)(unsigned long)attr->line_info, (size_t)attr->line_info_cnt * attr->line_info_rec_size);
    prog_ret = ret < 0 ? -errno : ret;
  }
  return ret;
}

static char *libbpf_msgs;
static size_t libbpf_len;
static int collect(enum libbpf_print_level level, const char *fmt, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char buf[1024];
  int n = vsnprintf(buf, sizeof(buf), fmt, args);
  if (n < 0) return 0;
  if (n >= (int)sizeof(buf)) n = sizeof(buf) - 1;
  libbpf_msgs = realloc(libbpf_msgs, libbpf_len + n + 1);
  memcpy(libbpf_msgs + libbpf_len, buf, n);
  libbpf_len += n;
  libbpf_msgs[libbpf_len] = 0;
  return 0;
}

static int map_index(int fd, int *used, int *nused) {
  for (int i = 0; i < *nused; i++) if (maps[used[i]].fd == fd) return i;
  for (int i = nmaps - 1; i >= 0; i--) {
    if (!maps[i].live || maps[i].fd != fd) continue;
    used[(*nused)++] = i;
    return *nused - 1;
  }
  return -1;
}

#define LOG_SIZE (64u << 20)
static char *logbuf;

static void load_one(const char *path, const char *prog_name, int index) {
  nmaps = 0; nbtfs = 0; have_prog = 0; libbpf_len = 0;
  if (libbpf_msgs) libbpf_msgs[0] = 0;
  memset(want_name, 0, sizeof(want_name));
  strncpy(want_name, prog_name, 15);
  struct bpf_object *obj = bpf_object__open_file(path, NULL);
  printf("{\"object\":");
  json_str(path);
  printf(",\"index\":%d,\"name\":", index);
  json_str(prog_name);
  if (!obj) { printf(",\"openError\":%d}\n", -errno); return; }
  struct bpf_program *p, *target = NULL;
  bpf_object__for_each_program(p, obj) {
    int me = !strcmp(bpf_program__name(p), prog_name);
    bpf_program__set_autoload(p, me);
    if (me) target = p;
  }
  struct bpf_map *m;
  bpf_object__for_each_map(m, obj) {
    bpf_map__set_pin_path(m, NULL);
    // struct_ops maps: only those that bind the target are created (libbpf loads every program a created
    // struct_ops map binds); a map's initial value holds the bound programs' pointers at their members
    if (bpf_map__type(m) == BPF_MAP_TYPE_STRUCT_OPS) {
      size_t sz = 0;
      const char *v = bpf_map__initial_value(m, &sz);
      int binds = 0;
      for (size_t o = 0; v && target && o + sizeof(void *) <= sz; o += sizeof(void *)) binds |= *(void *const *)(v + o) == (void *)target;
      bpf_map__set_autocreate(m, binds);
    }
  }
  logbuf[0] = 0;
  if (target) {
    // `devbound_*` programs are bound to the device $DEVBOUND_IFINDEX (a veth: the XDP metadata kfuncs
    // need a device-bound program, and a driver that implements them)
    if (!strncmp(prog_name, "devbound_", 9) && getenv("DEVBOUND_IFINDEX")) {
      bpf_program__set_ifindex(target, atoi(getenv("DEVBOUND_IFINDEX")));
      bpf_program__set_flags(target, bpf_program__flags(target) | BPF_F_XDP_DEV_BOUND_ONLY);
    }
    bpf_program__set_log_buf(target, logbuf, LOG_SIZE);
    bpf_program__set_log_level(target, 1 | 4);
    printf(",\"section\":");
    json_str(bpf_program__section_name(target));
  }
  int err = bpf_object__load(obj);
  printf(",\"loadErr\":%d", err);
  if (have_prog) {
    union bpf_attr *at = &prog_attr;
    printf(",\"progType\":%u,\"expectedAttachType\":%u,\"attachBtfId\":%u,\"attachBtfObjFd\":%u,\"progFlags\":%u,\"ifindex\":%u,\"fdArray\":%d",
           at->prog_type, at->expected_attach_type, at->attach_btf_id, at->attach_btf_obj_fd, at->prog_flags, at->prog_ifindex, at->fd_array != 0);
    printf(",\"license\":");
    json_str(at->license ? (const char *)(unsigned long)at->license : "");
    int used[MAXMAPS], nused = 0;
    printf(",\"insns\":\"");
    for (unsigned i = 0; i < at->insn_cnt; i++) {
      struct bpf_insn in = prog_insns[i];
      if (in.code == (BPF_LD | BPF_DW | BPF_IMM) && (in.src_reg == 1 || in.src_reg == 2 || in.src_reg == 5 || in.src_reg == 6)) {
        in.imm = map_index(in.imm, used, &nused);
        if (in.src_reg == 5) in.src_reg = 1;
        if (in.src_reg == 6) in.src_reg = 2;
      }
      hex((unsigned char *)&in, 8);
      if (in.code == (BPF_LD | BPF_DW | BPF_IMM) && i + 1 < at->insn_cnt) { i++; hex((unsigned char *)&prog_insns[i], 8); }
    }
    printf("\"");
    // inner-map templates of map-in-map maps, after the maps the program names
    for (int k = 0; k < nused; k++) {
      union bpf_attr *ma = &maps[used[k]].attr;
      if (ma->inner_map_fd) map_index(ma->inner_map_fd, used, &nused);
    }
    printf(",\"maps\":[");
    for (int k = 0; k < nused; k++) {
      struct map_rec *mr = &maps[used[k]];
      union bpf_attr *ma = &mr->attr;
      printf("%s{\"name\":", k ? "," : "");
      json_str(ma->map_name);
      printf(",\"type\":%u,\"keySize\":%u,\"valueSize\":%u,\"maxEntries\":%u,\"flags\":%u,\"extra\":%llu,\"btfKey\":%u,\"btfValue\":%u,\"btfVmlinuxValue\":%u,\"frozen\":%d",
             ma->map_type, ma->key_size, ma->value_size, ma->max_entries, ma->map_flags, (unsigned long long)ma->map_extra,
             ma->btf_key_type_id, ma->btf_value_type_id, ma->btf_vmlinux_value_type_id, mr->frozen);
      if (ma->inner_map_fd) {
        int inner = -1;
        for (int j = 0; j < nused; j++) if (maps[used[j]].fd == (int)ma->inner_map_fd) inner = j;
        printf(",\"inner\":%d", inner);
      }
      if (mr->init) { printf(",\"init\":\""); hex(mr->init, mr->init_size); printf("\""); }
      printf("}");
    }
    printf("]");
    if (at->func_info_cnt) { printf(",\"funcInfoRecSize\":%u,\"funcInfo\":\"", at->func_info_rec_size); hex(prog_fi, (size_t)at->func_info_cnt * at->func_info_rec_size); printf("\""); }
    if (at->line_info_cnt) { printf(",\"lineInfoRecSize\":%u,\"lineInfo\":\"", at->line_info_rec_size); hex(prog_li, (size_t)at->line_info_cnt * at->line_info_rec_size); printf("\""); }
    for (int k = 0; k < nbtfs; k++) {
      if (btfs[k].fd != (int)at->prog_btf_fd || !at->prog_btf_fd) continue;
      printf(",\"btf\":\""); hex(btfs[k].data, btfs[k].size); printf("\"");
    }
    printf(",\"ret\":%ld,\"log\":", prog_ret);
    json_str(logbuf);
  }
  printf(",\"libbpf\":");
  json_str(libbpf_msgs ? libbpf_msgs : "");
  printf("}\n");
  fflush(stdout);
  bpf_object__close(obj);
  for (int k = 0; k < nmaps; k++) free(maps[k].init);
  for (int k = 0; k < nbtfs; k++) free(btfs[k].data);
}

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: libbpf-load OBJ.o [PROG]\n"); return 2; }
  libbpf_set_print(collect);
  logbuf = malloc(LOG_SIZE);
  struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
  if (!obj) {
    printf("{\"object\":"); json_str(argv[1]); printf(",\"openError\":%d,\"libbpf\":", -errno); json_str(libbpf_msgs ? libbpf_msgs : ""); printf("}\n");
    return 0;
  }
  char *names[1024];
  int n = 0;
  struct bpf_program *p;
  bpf_object__for_each_program(p, obj) if (n < 1024) names[n++] = strdup(bpf_program__name(p));
  bpf_object__close(obj);
  for (int i = 0; i < n; i++) {
    if (argc > 2 && strcmp(argv[2], names[i])) continue;
    load_one(argv[1], names[i], i);
  }
  return 0;
}
