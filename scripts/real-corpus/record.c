// Records what libbpf and the running kernel do with one program of a BPF object, as JSON on stdout.
// Built against libbpf 1.5 (from the kernel tree) by scripts/real-corpus/record.mjs; needs root.
//
//   record OBJ.o --list                 the object's programs as libbpf sees them (name, section, autoload, types)
//   record OBJ.o PROG [--selftest]      load OBJ with only PROG autoloaded (veristat's per-program mode)
//
// Per program it prints libbpf's choices (autoload, program type, expected attach type), whether the
// BPF_PROG_LOAD syscall was reached at all (if not, libbpf could not prepare it: its warnings say why),
// the kernel's verdict and errno, the verifier's statistics (log level 4: processed insns, states,
// verification time, stack depth) and, for a refused program, a second load at log level 1 for the last
// lines of the log. The instructions are the exact ones libbpf handed to BPF_PROG_LOAD (captured by
// interposing syscall()), with map fds replaced by map names, kfunc and ksym BTF ids named, and
// kallsyms addresses of typeless ksyms zeroed (they change every boot). --selftest applies what the
// selftests' test_loader applies: BPF_F_TEST_RND_HI32 | BPF_F_TEST_REG_INVARIANTS, the __flag()
// annotations, and loads __auxiliary programs alongside.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/libbpf.h>
#include <bpf/btf.h>
#include <fcntl.h>
#include <gelf.h>

// ---------- JSON output ----------
static void jstr(const char *s) {
  putchar('"');
  for (; s && *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c == '\n') printf("\\n");
    else if (c == '\t') printf("\\t");
    else if (c < 0x20 || c >= 0x7f) printf("\\u%04x", c);
    else putchar(c);
  }
  putchar('"');
}

// ---------- libbpf's messages ----------
static char *libbpf_msgs;
static size_t libbpf_msgs_len;
static int on_print(enum libbpf_print_level level, const char *fmt, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char line[4096];
  int n = vsnprintf(line, sizeof line, fmt, args);
  if (n <= 0) return 0;
  if (n >= (int)sizeof line) n = sizeof line - 1;
  libbpf_msgs = realloc(libbpf_msgs, libbpf_msgs_len + n + 1);
  memcpy(libbpf_msgs + libbpf_msgs_len, line, n);
  libbpf_msgs_len += n;
  libbpf_msgs[libbpf_msgs_len] = 0;
  return 0;
}

// ---------- the bpf() syscall, interposed ----------
static struct bpf_object *cur_obj;
static const char *target_name; // the program whose BPF_PROG_LOAD is captured
// ... told apart by its log buffer (only it has one): a name is cut to 15 bytes in bpf_attr, and libbpf also
// loads every program a struct_ops map binds, so write_sk_pacing_init and write_sk_pacing_undo_cwnd both match
static const char *target_log;
static struct {
  bool seen;
  long ret;
  int err;
  unsigned prog_type, expected_attach_type, attach_btf_id, attach_btf_obj_fd, prog_flags, insn_cnt;
  struct bpf_insn *insns;
  char (*mapname)[64]; // per instruction: the map whose fd an lddw carried
} cap;

long syscall(long nr, ...) {
  va_list ap;
  va_start(ap, nr);
  long a = va_arg(ap, long), b = va_arg(ap, long), c = va_arg(ap, long), d = va_arg(ap, long), e = va_arg(ap, long);
  va_end(ap);
  static long (*real)(long, ...);
  if (!real) real = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
  union bpf_attr *attr = (union bpf_attr *)b;
  bool mine = nr == __NR_bpf && a == BPF_PROG_LOAD && target_name && (unsigned long)c >= offsetof(union bpf_attr, prog_name) + 16 &&
              strncmp(attr->prog_name, target_name, BPF_OBJ_NAME_LEN - 1) == 0 && attr->prog_name[0] &&
              (!target_log || attr->log_buf == (unsigned long)target_log);
  if (mine) {
    free(cap.insns);
    free(cap.mapname);
    cap.seen = true;
    cap.prog_type = attr->prog_type;
    cap.expected_attach_type = attr->expected_attach_type;
    cap.attach_btf_id = attr->attach_btf_id;
    cap.attach_btf_obj_fd = attr->attach_btf_obj_fd;
    cap.prog_flags = attr->prog_flags;
    cap.insn_cnt = attr->insn_cnt;
    cap.insns = malloc(sizeof(struct bpf_insn) * (attr->insn_cnt + 1));
    memcpy(cap.insns, (void *)(unsigned long)attr->insns, sizeof(struct bpf_insn) * attr->insn_cnt);
    cap.mapname = calloc(attr->insn_cnt + 1, 64);
    // map fds are only meaningful now (libbpf closes them when a load fails)
    for (unsigned i = 0; i + 1 < attr->insn_cnt; i++) {
      struct bpf_insn *in = &cap.insns[i];
      if (in->code != (BPF_LD | BPF_DW | BPF_IMM)) continue;
      if (in->src_reg == BPF_PSEUDO_MAP_FD || in->src_reg == BPF_PSEUDO_MAP_VALUE) {
        struct bpf_map *m;
        bpf_object__for_each_map(m, cur_obj) if (bpf_map__fd(m) == in->imm) snprintf(cap.mapname[i], 64, "%s", bpf_map__name(m));
        if (!cap.mapname[i][0]) snprintf(cap.mapname[i], 64, "?fd");
      }
      i++;
    }
  }
  long r = real(nr, a, b, c, d, e);
  if (mine) { cap.ret = r; cap.err = r < 0 ? errno : 0; }
  return r;
}

// ---------- helpers ----------
static struct btf *vmlinux_btf;
static const char *vmlinux_name(unsigned id) {
  if (!vmlinux_btf || !id) return NULL;
  const struct btf_type *t = btf__type_by_id(vmlinux_btf, id);
  return t ? btf__name_by_offset(vmlinux_btf, t->name_off) : NULL;
}

// typeless ksyms (extern const void x __ksym): libbpf puts their kallsyms address in a plain lddw, which
// changes every boot (KASLR): it is zeroed in the recorded instructions and named in "ksyms"
struct ksym { char name[128]; unsigned long long addr; };
static struct ksym *typeless;
static int ntypeless;
static void find_typeless_ksyms(struct bpf_object *obj) {
  const struct btf *btf = bpf_object__btf(obj);
  if (!btf) return;
  int id = btf__find_by_name_kind(btf, ".ksyms", BTF_KIND_DATASEC);
  if (id < 0) return;
  const struct btf_type *sec = btf__type_by_id(btf, id);
  const struct btf_var_secinfo *vs = btf_var_secinfos(sec);
  for (int i = 0; i < btf_vlen(sec); i++) {
    const struct btf_type *v = btf__type_by_id(btf, vs[i].type);
    if (!btf_is_var(v)) continue;
    // every .ksyms variable is a candidate: libbpf has already turned typeless (void) ones into ints,
    // and typed ones never appear as plain addresses (they load by BTF id)
    typeless = realloc(typeless, sizeof(*typeless) * (ntypeless + 1));
    snprintf(typeless[ntypeless].name, 128, "%s", btf__name_by_offset(btf, v->name_off));
    typeless[ntypeless].addr = 0;
    ntypeless++;
  }
  if (!ntypeless) return;
  FILE *f = fopen("/proc/kallsyms", "r");
  if (!f) return;
  char line[512], sym[256], type;
  unsigned long long addr;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "%llx %c %255s", &addr, &type, sym) == 3)
      for (int i = 0; i < ntypeless; i++) if (!typeless[i].addr && !strcmp(sym, typeless[i].name)) typeless[i].addr = addr;
  fclose(f);
}

// selftest annotations: BTF decl tags "comment:..." on the program's FUNC
static int annotations(struct bpf_object *obj, const char *func, const char **out, int max) {
  const struct btf *btf = bpf_object__btf(obj);
  int n = 0;
  if (!btf) return 0;
  int func_id = btf__find_by_name_kind(btf, func, BTF_KIND_FUNC);
  if (func_id < 0) return 0;
  for (unsigned id = 1; id < btf__type_cnt(btf) && n < max; id++) {
    const struct btf_type *t = btf__type_by_id(btf, id);
    if (!btf_is_decl_tag(t) || t->type != (unsigned)func_id || btf_decl_tag(t)->component_idx != -1) continue;
    const char *s = btf__name_by_offset(btf, t->name_off);
    if (!strncmp(s, "comment:", 8)) out[n++] = s;
  }
  return n;
}

static unsigned flag_value(const char *v) {
  static const struct { const char *name; unsigned v; } F[] = {
    { "BPF_F_STRICT_ALIGNMENT", 1 }, { "BPF_F_ANY_ALIGNMENT", 2 }, { "BPF_F_TEST_RND_HI32", 4 }, { "BPF_F_TEST_STATE_FREQ", 8 },
    { "BPF_F_SLEEPABLE", 16 }, { "BPF_F_XDP_HAS_FRAGS", 32 }, { "BPF_F_XDP_DEV_BOUND_ONLY", 64 }, { "BPF_F_TEST_REG_INVARIANTS", 128 } };
  for (unsigned i = 0; i < sizeof F / sizeof F[0]; i++) if (!strcmp(v, F[i].name)) return F[i].v;
  return (unsigned)strtoul(v, NULL, 0);
}

static bool has_tag(struct bpf_object *obj, const char *func, const char *tag) {
  const char *a[64];
  int n = annotations(obj, func, a, 64);
  for (int i = 0; i < n; i++) if (!strcmp(a[i], tag)) return true;
  return false;
}

// What a program's own loader does to its maps before loading, done here the same way for all, so that
// the programs can be verified at all and the result does not depend on this machine; each change is
// named in the output ("adjustedMaps": "map.field=value,..."):
//  - max_entries 0 (sized at run time, e.g. xdp-bench's per-CPU counters): 64, ring buffers 256 KiB;
//  - stack-trace maps without a value size (bcc sets perf_max_stack_depth * 8): 127 * 8;
//  - ring buffers declared with a key or value type (cilium/ebpf drops them; the kernel refuses them): 0.
#define ADJUSTED_ENTRIES 64
#define ADJUSTED_RINGBUF (256 * 1024)
#define ADJUSTED_STACK_VALUE (127 * 8)
static char adjusted[4096];
static void note_adjusted(struct bpf_map *m, const char *field, unsigned v) {
  size_t l = strlen(adjusted);
  snprintf(adjusted + l, sizeof adjusted - l, "%s%s.%s=%u", l ? "," : "", bpf_map__name(m), field, v);
}
static struct bpf_object *open_obj(const char *path) {
  LIBBPF_OPTS(bpf_object_open_opts, oo);
  struct bpf_object *obj = bpf_object__open_file(path, &oo);
  if (!obj) return NULL;
  struct bpf_map *m;
  adjusted[0] = 0;
  bpf_object__for_each_map(m, obj) {
    bpf_map__set_pin_path(m, NULL); // no bpffs state left behind
    enum bpf_map_type t = bpf_map__type(m);
    if (bpf_map__is_internal(m)) continue;
    bool ringbuf = t == BPF_MAP_TYPE_RINGBUF || t == BPF_MAP_TYPE_USER_RINGBUF;
    if (ringbuf && bpf_map__key_size(m)) { bpf_map__set_key_size(m, 0); note_adjusted(m, "key_size", 0); }
    if (ringbuf && bpf_map__value_size(m)) { bpf_map__set_value_size(m, 0); note_adjusted(m, "value_size", 0); }
    if (t == BPF_MAP_TYPE_STACK_TRACE && bpf_map__value_size(m) == 0) { bpf_map__set_value_size(m, ADJUSTED_STACK_VALUE); note_adjusted(m, "value_size", ADJUSTED_STACK_VALUE); }
    if (bpf_map__max_entries(m) != 0 || t == BPF_MAP_TYPE_PERF_EVENT_ARRAY) continue;
    if (t == BPF_MAP_TYPE_CGROUP_STORAGE || t == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE || t == BPF_MAP_TYPE_SK_STORAGE || t == BPF_MAP_TYPE_INODE_STORAGE ||
        t == BPF_MAP_TYPE_TASK_STORAGE || t == BPF_MAP_TYPE_CGRP_STORAGE || t == BPF_MAP_TYPE_STRUCT_OPS || t == BPF_MAP_TYPE_ARENA) continue;
    unsigned v = ringbuf ? ADJUSTED_RINGBUF : ADJUSTED_ENTRIES;
    bpf_map__set_max_entries(m, v);
    note_adjusted(m, "max_entries", v);
  }
  return obj;
}

// Load OBJ with only PROG (and, for selftests, its auxiliary programs) autoloaded.
static int load_one(const char *path, const char *prog_name, bool selftest, unsigned log_level, char *log, size_t log_size,
                    struct bpf_object **pobj, unsigned *flags_out) {
  struct bpf_object *obj = open_obj(path);
  *pobj = obj;
  if (!obj) return -errno;
  cur_obj = obj;
  struct bpf_program *p, *target = NULL;
  bpf_object__for_each_program(p, obj) {
    bool me = !strcmp(bpf_program__name(p), prog_name);
    if (me) target = p;
    bpf_program__set_autoload(p, me || (selftest && has_tag(obj, bpf_program__name(p), "comment:test_auxiliary")));
  }
  if (!target) return -ENOENT;
  if (selftest) {
    unsigned flags = bpf_program__flags(target) | BPF_F_TEST_RND_HI32 | BPF_F_TEST_REG_INVARIANTS;
    const char *a[64];
    int n = annotations(obj, prog_name, a, 64);
    for (int i = 0; i < n; i++) {
      const char *pfx = "comment:test_prog_flags=";
      if (strncmp(a[i], pfx, strlen(pfx))) continue;
      const char *v = a[i] + strlen(pfx);
      bool clear = *v == '!';
      if (clear) v++;
      if (clear) flags &= ~flag_value(v); else flags |= flag_value(v);
    }
    bpf_program__set_flags(target, flags);
  }
  *flags_out = bpf_program__flags(target);
  bpf_program__set_log_buf(target, log, log_size);
  bpf_program__set_log_level(target, log_level);
  target_name = prog_name;
  target_log = log;
  memset(&cap, 0, sizeof cap);
  free(libbpf_msgs); libbpf_msgs = NULL; libbpf_msgs_len = 0;
  int err = bpf_object__load(obj);
  target_name = NULL;
  target_log = NULL;
  return err;
}

// the verifier's log lines, split in place
static int split_lines(char *log, char **lines, int max) {
  int n = 0;
  for (char *s = strtok(log, "\n"); s && n < max; s = strtok(NULL, "\n")) lines[n++] = s;
  return n;
}

static void print_stats(const char *log) {
  const char *p;
  long v;
  if ((p = strstr(log, "processed ")) && sscanf(p, "processed %ld insns", &v) == 1) printf(",\"processed\":%ld", v);
  if ((p = strstr(log, "max_states_per_insn ")) && sscanf(p, "max_states_per_insn %ld", &v) == 1) printf(",\"maxStatesPerInsn\":%ld", v);
  if ((p = strstr(log, "total_states ")) && sscanf(p, "total_states %ld", &v) == 1) printf(",\"totalStates\":%ld", v);
  if ((p = strstr(log, "peak_states ")) && sscanf(p, "peak_states %ld", &v) == 1) printf(",\"peakStates\":%ld", v);
  if ((p = strstr(log, "mark_read ")) && sscanf(p, "mark_read %ld", &v) == 1) printf(",\"markRead\":%ld", v);
  if ((p = strstr(log, "verification time ")) && sscanf(p, "verification time %ld usec", &v) == 1) printf(",\"verificationUsec\":%ld", v);
  if ((p = strstr(log, "stack depth "))) {
    const char *end = strchr(p, '\n');
    int len = end ? (int)(end - p) : (int)strlen(p);
    char buf[256];
    len -= 12;
    snprintf(buf, sizeof buf, "%.*s", len < 255 ? len : 255, p + 12);
    printf(",\"stackDepth\":");
    jstr(buf);
  }
}

// The error line: the last line before the statistics that is not itself statistics or an instruction dump.
static const char *error_line(char **lines, int n) {
  for (int i = n - 1; i >= 0; i--) {
    const char *l = lines[i];
    if (!strncmp(l, "processed ", 10) || !strncmp(l, "verification time", 17) || !strncmp(l, "stack depth", 11) || !*l) continue;
    return l;
  }
  return NULL;
}

static void print_insns(struct bpf_object *obj) {
  printf(",\"insns\":\"");
  for (unsigned i = 0; i < cap.insn_cnt; i++) {
    struct bpf_insn in = cap.insns[i];
    if (in.code == (BPF_LD | BPF_DW | BPF_IMM) && i + 1 < cap.insn_cnt) {
      struct bpf_insn hi = cap.insns[i + 1];
      if (in.src_reg == BPF_PSEUDO_MAP_FD || in.src_reg == BPF_PSEUDO_MAP_VALUE) in.imm = 0;
      if (in.src_reg == BPF_PSEUDO_BTF_ID) hi.imm = 0; // the BTF object fd (0 = vmlinux; a module's fd otherwise)
      if (in.src_reg == 0) {
        unsigned long long v = (unsigned)in.imm | ((unsigned long long)(unsigned)hi.imm << 32);
        for (int k = 0; k < ntypeless; k++) if (typeless[k].addr && v == typeless[k].addr) { in.imm = 0; hi.imm = 0; }
      }
      unsigned char *b = (unsigned char *)&in;
      for (int j = 0; j < 8; j++) printf("%02x", b[j]);
      b = (unsigned char *)&hi;
      for (int j = 0; j < 8; j++) printf("%02x", b[j]);
      i++;
      continue;
    }
    unsigned char *b = (unsigned char *)&in;
    for (int j = 0; j < 8; j++) printf("%02x", b[j]);
  }
  printf("\"");
  // what the zeroed immediates stood for
  printf(",\"maps\":[");
  int first = 1;
  for (unsigned i = 0; i < cap.insn_cnt; i++) if (cap.mapname[i][0]) { printf("%s{\"pc\":%u,\"map\":", first ? "" : ",", i); jstr(cap.mapname[i]); printf("}"); first = 0; }
  printf("],\"kfuncs\":[");
  first = 1;
  for (unsigned i = 0; i < cap.insn_cnt; i++) {
    struct bpf_insn in = cap.insns[i];
    if (in.code == (BPF_JMP | BPF_CALL) && in.src_reg == BPF_PSEUDO_KFUNC_CALL) {
      printf("%s{\"pc\":%u,\"btfId\":%d,\"module\":%d", first ? "" : ",", i, in.imm, in.off);
      const char *nm = in.off == 0 ? vmlinux_name(in.imm) : NULL;
      if (nm) { printf(",\"name\":"); jstr(nm); }
      printf("}");
      first = 0;
    }
  }
  printf("],\"ksyms\":[");
  first = 1;
  for (unsigned i = 0; i + 1 < cap.insn_cnt; i++) {
    struct bpf_insn in = cap.insns[i];
    if (in.code != (BPF_LD | BPF_DW | BPF_IMM)) continue;
    if (in.src_reg == BPF_PSEUDO_BTF_ID) {
      printf("%s{\"pc\":%u,\"btfId\":%d,\"btfObj\":%s", first ? "" : ",", i, in.imm, cap.insns[i + 1].imm ? "\"module\"" : "\"vmlinux\"");
      const char *nm = cap.insns[i + 1].imm == 0 ? vmlinux_name(in.imm) : NULL;
      if (nm) { printf(",\"name\":"); jstr(nm); }
      printf("}");
      first = 0;
    } else if (in.src_reg == 0) {
      unsigned long long v = (unsigned)in.imm | ((unsigned long long)(unsigned)cap.insns[i + 1].imm << 32);
      for (int k = 0; k < ntypeless; k++) if (typeless[k].addr && v == typeless[k].addr) {
        printf("%s{\"pc\":%u,\"typeless\":true,\"name\":", first ? "" : ",", i); jstr(typeless[k].name); printf("}"); first = 0;
      }
    }
    i++;
  }
  printf("]");
  if (cap.attach_btf_id) {
    printf(",\"attachBtfId\":%u", cap.attach_btf_id);
    const char *nm = cap.attach_btf_obj_fd == 0 ? vmlinux_name(cap.attach_btf_id) : NULL;
    if (nm) { printf(",\"attachBtfName\":"); jstr(nm); }
  }
  (void)obj;
}

// .kconfig values libbpf resolved: each extern's name and its bytes (little-endian hex)
static void print_kconfig(struct bpf_object *obj) {
  const struct btf *btf = bpf_object__btf(obj);
  struct bpf_map *m, *kc = NULL;
  bpf_object__for_each_map(m, obj) { const char *n = bpf_map__name(m); size_t l = strlen(n); if (l >= 8 && !strcmp(n + l - 8, ".kconfig")) kc = m; }
  if (!btf || !kc) return;
  size_t sz = 0;
  const unsigned char *data = bpf_map__initial_value(kc, &sz);
  int id = btf__find_by_name_kind(btf, ".kconfig", BTF_KIND_DATASEC);
  if (!data || id < 0) return;
  const struct btf_type *sec = btf__type_by_id(btf, id);
  const struct btf_var_secinfo *vs = btf_var_secinfos(sec);
  printf(",\"kconfig\":{");
  for (int i = 0; i < btf_vlen(sec); i++) {
    const struct btf_type *v = btf__type_by_id(btf, vs[i].type);
    printf("%s", i ? "," : "");
    jstr(btf__name_by_offset(btf, v->name_off));
    printf(":\"");
    for (unsigned j = 0; j < vs[i].size && vs[i].offset + j < sz; j++) printf("%02x", data[vs[i].offset + j]);
    printf("\"");
  }
  printf("}");
}

// When libbpf cannot open the object (legacy "maps" section, static programs, ...), its programs are
// still listed, from the ELF symbol table the way libbpf would find them: global FUNC symbols in
// executable sections other than .text; a leading '?' of the section means autoload off.
static void list_from_elf(const char *path) {
  printf(",\"programs\":[");
  elf_version(EV_CURRENT);
  int fd = open(path, O_RDONLY), first = 1;
  Elf *e = fd >= 0 ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
  size_t shstrndx;
  if (e && !elf_getshdrstrndx(e, &shstrndx)) {
    for (Elf_Scn *scn = NULL; (scn = elf_nextscn(e, scn));) {
      GElf_Shdr sh;
      if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB) continue;
      Elf_Data *d = elf_getdata(scn, NULL);
      for (size_t i = 1; d && i < sh.sh_size / sh.sh_entsize; i++) {
        GElf_Sym sym;
        GElf_Shdr th;
        if (!gelf_getsym(d, i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx == SHN_UNDEF) continue;
        if (GELF_ST_BIND(sym.st_info) != STB_GLOBAL && GELF_ST_BIND(sym.st_info) != STB_WEAK) continue;
        Elf_Scn *ts = elf_getscn(e, sym.st_shndx);
        if (!ts || !gelf_getshdr(ts, &th) || !(th.sh_flags & SHF_EXECINSTR)) continue;
        const char *sec = elf_strptr(e, shstrndx, th.sh_name);
        if (!sec || !strcmp(sec, ".text")) continue;
        printf("%s{\"name\":", first ? "" : ","); jstr(elf_strptr(e, sh.sh_link, sym.st_name));
        printf(",\"section\":"); jstr(sec[0] == '?' ? sec + 1 : sec);
        printf(",\"autoload\":%s,\"progType\":\"?\",\"expectedAttachType\":\"?\",\"fromElf\":true}", sec[0] == '?' ? "false" : "true");
        first = 0;
      }
    }
  }
  if (e) elf_end(e);
  if (fd >= 0) close(fd);
  printf("]");
}

static void list(const char *path) {
  struct bpf_object *obj = open_obj(path);
  if (!obj) {
    printf("{\"openError\":"); jstr(libbpf_msgs ? libbpf_msgs : strerror(errno));
    list_from_elf(path);
    printf("}\n");
    return;
  }
  printf("{\"programs\":[");
  struct bpf_program *p;
  int first = 1;
  bpf_object__for_each_program(p, obj) {
    printf("%s{\"name\":", first ? "" : ","); jstr(bpf_program__name(p));
    printf(",\"section\":"); jstr(bpf_program__section_name(p));
    printf(",\"autoload\":%s", bpf_program__autoload(p) ? "true" : "false");
    const char *t = libbpf_bpf_prog_type_str(bpf_program__type(p));
    // 0 is BPF_CGROUP_INET_INGRESS, but for most types it only means "not set"
    enum bpf_prog_type pt = bpf_program__type(p);
    enum bpf_attach_type eat = bpf_program__expected_attach_type(p);
    const char *at = eat == 0 && pt != BPF_PROG_TYPE_CGROUP_SKB ? "none" : libbpf_bpf_attach_type_str(eat);
    printf(",\"progType\":"); jstr(t ? t : "?");
    printf(",\"progTypeId\":%d", bpf_program__type(p));
    printf(",\"expectedAttachType\":"); jstr(at ? at : "?");
    printf(",\"expectedAttachTypeId\":%d", bpf_program__expected_attach_type(p));
    const char *a[64];
    int n = annotations(obj, bpf_program__name(p), a, 64);
    if (n) { printf(",\"annotations\":["); for (int i = 0; i < n; i++) { printf("%s", i ? "," : ""); jstr(a[i]); } printf("]"); }
    printf("}");
    first = 0;
  }
  printf("]");
  if (libbpf_msgs_len) { printf(",\"libbpfMessages\":"); jstr(libbpf_msgs); }
  printf("}\n");
  bpf_object__close(obj);
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: record OBJ.o --list | PROG [--selftest]\n"); return 2; }
  libbpf_set_print(on_print);
  if (!strcmp(argv[2], "--list")) { list(argv[1]); return 0; }
  const char *prog = argv[2];
  bool selftest = argc > 3 && !strcmp(argv[3], "--selftest");
  vmlinux_btf = btf__load_vmlinux_btf();

  size_t stats_size = 1 << 20, full_size = 1 << 24;
  char *log = calloc(1, full_size);
  struct bpf_object *obj;
  unsigned flags = 0;
  int err = load_one(argv[1], prog, selftest, 4, log, stats_size, &obj, &flags);
  printf("{\"name\":"); jstr(prog);
  // the prog_flags BPF_PROG_LOAD received: libbpf adds the section's (BPF_F_SLEEPABLE, BPF_F_XDP_HAS_FRAGS)
  // only then, so bpf_program__flags() (the loader's own, --selftest's test flags) is the answer only when
  // the syscall was never reached
  printf(",\"progFlags\":%u", cap.seen ? cap.prog_flags : flags);
  if (adjusted[0]) { printf(",\"adjustedMaps\":"); jstr(adjusted); }
  if (!obj) { printf(",\"result\":\"not-prepared\",\"prepareError\":"); jstr(libbpf_msgs ? libbpf_msgs : "bpf_object__open failed"); printf("}\n"); return 0; }
  find_typeless_ksyms(obj);
  if (!cap.seen) {
    printf(",\"result\":\"not-prepared\",\"errno\":%d,\"prepareError\":", -err);
    jstr(libbpf_msgs ? libbpf_msgs : "libbpf stopped before BPF_PROG_LOAD");
    printf("}\n");
    return 0;
  }
  printf(",\"result\":\"%s\"", cap.ret >= 0 ? "loaded" : "refused");
  if (cap.ret < 0) printf(",\"errno\":%d,\"errnoName\":", cap.err), jstr(strerrorname_np(cap.err) ? strerrorname_np(cap.err) : "?");
  // refused with an empty log: the verifier said nothing (a capability, LSM or attach check before it)
  if (cap.ret < 0 && !log[0]) printf(",\"refusedOutsideVerifier\":true");
  printf(",\"progType\":%u,\"expectedAttachType\":%u", cap.prog_type, cap.expected_attach_type);
  print_stats(log);
  char *copy = strdup(log);
  char *lines[1 << 16];
  int n = split_lines(copy, lines, 1 << 16);
  if (cap.ret < 0) {
    const char *e = error_line(lines, n);
    if (e) { printf(",\"firstError\":"); jstr(e); }
  }
  // the parity data: what libbpf handed the kernel
  print_insns(obj);
  print_kconfig(obj);
  if (err && cap.ret >= 0) { printf(",\"objectLoadError\":"); jstr(libbpf_msgs ? libbpf_msgs : strerror(-err)); }
  bpf_object__close(obj);
  if (cap.ret < 0) {
    // again at log level 1 (every instruction of the failing path; the kernel keeps the log's tail)
    memset(log, 0, full_size);
    struct bpf_object *obj2;
    unsigned f2;
    load_one(argv[1], prog, selftest, 1, log, full_size, &obj2, &f2);
    if (obj2) bpf_object__close(obj2);
    // the last 30 lines: start from the end of the log
    char *end = log + strlen(log), *start = end;
    for (int k = 0; start > log && k < 31; ) { start--; if (*start == '\n' && start + 1 < end) k++; }
    if (*start == '\n') start++;
    n = split_lines(start, lines, 64);
    int from = n > 30 ? n - 30 : 0;
    printf(",\"logTail\":[");
    for (int i = from; i < n; i++) { printf("%s", i > from ? "," : ""); jstr(lines[i]); }
    printf("]");
    const char *e = error_line(lines, n);
    if (e) { printf(",\"errorLineLevel1\":"); jstr(e); }
  }
  printf("}\n");
  return 0;
}
