// Soft-float library with exact AArch64 (ARMv8.0-A) semantics: public API.
// Values are raw bit patterns (f16 in the low 16 bits of a u32, f32 as u32, f64 as u64).
// Every operation reads FPCR (RMode, FZ, DN, AHP) from FPCR_ADDR and ORs the cumulative
// exception flags into FPSR at FPSR_ADDR.

export {
  FPCR_AHP,
  FPCR_DN,
  FPCR_FZ,
  FPCR_RMODE_SHIFT,
  FPRM_FPCR,
  FPRM_NEGINF,
  FPRM_ODD,
  FPRM_POSINF,
  FPRM_TIEAWAY,
  FPRM_TIEEVEN,
  FPRM_ZERO,
  FPSR_DZC,
  FPSR_IDC,
  FPSR_IOC,
  FPSR_IXC,
  FPSR_OFC,
  FPSR_UFC,
  fpcrRead,
  fpFlagsRaise,
} from "./fpcr";
export * from "./f32";
export * from "./f64";
export {
  f16ToF32,
  f16ToF64,
  f32ToF16,
  f32ToF64,
  f32ToS32,
  f32ToS64,
  f32ToU32,
  f32ToU64,
  f64ToF16,
  f64ToF32,
  f64ToF32Odd,
  f64ToS32,
  f64ToS64,
  f64ToU32,
  f64ToU64,
  s32ToF32,
  s32ToF64,
  s64ToF32,
  s64ToF64,
  u32ToF32,
  u32ToF64,
  u64ToF32,
  u64ToF64,
} from "./convert";
export { urecpe, ursqrte } from "./estimate";
