// The attach-time checks check_attach_btf_id makes before the walk that bpfkit models: which program types
// may be sleepable (can_be_sleepable), that a syscall program must be, and whether the attach target lets
// a sleepable program attach (bpf_check_attach_target): an LSM hook from bpf_lsm.c's sleepable_lsm_hooks;
// for fentry/fexit/fmod_ret a function on the error-injection list (which needs
// CONFIG_FUNCTION_ERROR_INJECTION in the target kernel: without it no function is) and not in
// btf_non_sleepable_error_inject. (The fmodret sets that could also allow it carry no KF_SLEEPABLE flag.)
import { ERROR_INJECTION_FUNCS, NON_SLEEPABLE_ERROR_INJECT, SLEEPABLE_LSM_HOOKS } from "../helpers/allowed.js";
import { AttachType as A, ProgType as P } from "../progtypes/numbers.js";
import type { EnvOptions } from "./env.js";

/** can_be_sleepable. */
function canBeSleepable(progType: number, attachType: number | undefined): boolean {
  if (progType === P.TRACING) return attachType === A.TRACE_FENTRY || attachType === A.TRACE_FEXIT || attachType === A.MODIFY_RETURN || attachType === A.TRACE_ITER;
  if (progType === P.LSM) return attachType !== A.LSM_CGROUP;
  return progType === P.KPROBE /* only for uprobes */ || progType === P.STRUCT_OPS;
}

/** The kernel's message when the program cannot be loaded sleepable (or, a syscall program, not sleepable). */
export function attachSleepableError(opts: EnvOptions): string | undefined {
  const sleepable = opts.sleepable === true;
  if (opts.progType === P.SYSCALL) return sleepable ? undefined : "Syscall programs can only be sleepable";
  if (!sleepable) return undefined;
  if (!canBeSleepable(opts.progType, opts.attachType)) return "Only fentry/fexit/fmod_ret, lsm, iter, uprobe, and struct_ops programs can be sleepable";
  const tracing = opts.progType === P.TRACING && opts.attachType !== A.TRACE_ITER;
  if (!tracing && opts.progType !== P.LSM) return undefined;
  const name = opts.attachBtfId ? opts.targetBtf?.types[opts.attachBtfId]?.name : undefined;
  if (!name) return undefined;
  if (opts.progType === P.LSM) return SLEEPABLE_LSM_HOOKS.has(name) ? undefined : `${name} is not sleepable`;
  const enabled = (option: string): boolean => opts.configEnabled?.(option) ?? true;
  const injectable = enabled("CONFIG_FUNCTION_ERROR_INJECTION") && (/^__(x64|ia32)_sys_/.test(name) || ERROR_INJECTION_FUNCS.has(name));
  const denied = name in NON_SLEEPABLE_ERROR_INJECT && (NON_SLEEPABLE_ERROR_INJECT[name] === undefined || enabled(NON_SLEEPABLE_ERROR_INJECT[name]!));
  return injectable && !denied ? undefined : `${name} is not sleepable`;
}
