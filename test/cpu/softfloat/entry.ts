// AssemblyScript test entry for the soft-float differential tests: runs a batch of cases
// (same record layout as oracle.c) through the library. Op ids must match ops.ts.

import { FPCR_ADDR, FPSR_ADDR } from "../../../src/cpu/core/layout";
import * as sf from "../../../src/cpu/core/softfloat/index";
import { FPRM_FPCR, FPRM_NEGINF, FPRM_POSINF, FPRM_TIEAWAY, FPRM_TIEEVEN, FPRM_ZERO } from "../../../src/cpu/core/softfloat/index";

const ALL_ONES: u64 = ~(<u64>0);

function run(op: u32, a: u64, b: u64, c: u64): u64 {
  switch (op) {
    case 0:
      return <u64>sf.f32Add(<u32>a, <u32>b);
    case 1:
      return <u64>sf.f32Sub(<u32>a, <u32>b);
    case 2:
      return <u64>sf.f32Mul(<u32>a, <u32>b);
    case 3:
      return <u64>sf.f32Div(<u32>a, <u32>b);
    case 4:
      return <u64>sf.f32Sqrt(<u32>a);
    case 5:
      return <u64>sf.f32Fmadd(<u32>a, <u32>b, <u32>c);
    case 6:
      return <u64>sf.f32Fmsub(<u32>a, <u32>b, <u32>c);
    case 7:
      return <u64>sf.f32Fnmadd(<u32>a, <u32>b, <u32>c);
    case 8:
      return <u64>sf.f32Fnmsub(<u32>a, <u32>b, <u32>c);
    case 9:
      return <u64>sf.f32Nmul(<u32>a, <u32>b);
    case 10:
      return <u64>sf.f32Abd(<u32>a, <u32>b);
    case 11:
      return <u64>sf.f32Abs(<u32>a);
    case 12:
      return <u64>sf.f32Neg(<u32>a);
    case 13:
      return <u64>sf.f32Min(<u32>a, <u32>b);
    case 14:
      return <u64>sf.f32Max(<u32>a, <u32>b);
    case 15:
      return <u64>sf.f32MinNum(<u32>a, <u32>b);
    case 16:
      return <u64>sf.f32MaxNum(<u32>a, <u32>b);
    case 17:
      return <u64>sf.f32MulX(<u32>a, <u32>b);
    case 20:
      return <u64>(sf.f32CompareEq(<u32>a, <u32>b) ? 0xffffffff : 0);
    case 21:
      return <u64>(sf.f32CompareGe(<u32>a, <u32>b) ? 0xffffffff : 0);
    case 22:
      return <u64>(sf.f32CompareGt(<u32>a, <u32>b) ? 0xffffffff : 0);
    case 18:
      return <u64>sf.f32Compare(<u32>a, <u32>b, false);
    case 19:
      return <u64>sf.f32Compare(<u32>a, <u32>b, true);
    case 23:
      return <u64>sf.f32RoundInt(<u32>a, FPRM_TIEEVEN, false);
    case 24:
      return <u64>sf.f32RoundInt(<u32>a, FPRM_TIEAWAY, false);
    case 25:
      return <u64>sf.f32RoundInt(<u32>a, FPRM_POSINF, false);
    case 26:
      return <u64>sf.f32RoundInt(<u32>a, FPRM_NEGINF, false);
    case 27:
      return <u64>sf.f32RoundInt(<u32>a, FPRM_ZERO, false);
    case 28:
      return <u64>sf.f32RoundInt(<u32>a, FPRM_FPCR, false);
    case 29:
      return <u64>sf.f32RoundInt(<u32>a, FPRM_FPCR, true);
    case 30:
      return <u64>sf.f32RecipEstimate(<u32>a);
    case 31:
      return <u64>sf.f32RSqrtEstimate(<u32>a);
    case 32:
      return <u64>sf.f32RecipStep(<u32>a, <u32>b);
    case 33:
      return <u64>sf.f32RSqrtStep(<u32>a, <u32>b);
    case 34:
      return <u64>sf.f32RecpX(<u32>a);
    case 40:
      return <u64>sf.f32ToS32(<u32>a, FPRM_TIEEVEN, 0);
    case 41:
      return <u64>sf.f32ToS64(<u32>a, FPRM_TIEEVEN, 0);
    case 42:
      return <u64>sf.f32ToU32(<u32>a, FPRM_TIEEVEN, 0);
    case 43:
      return <u64>sf.f32ToU64(<u32>a, FPRM_TIEEVEN, 0);
    case 44:
      return <u64>sf.f32ToS32(<u32>a, FPRM_TIEAWAY, 0);
    case 45:
      return <u64>sf.f32ToS64(<u32>a, FPRM_TIEAWAY, 0);
    case 46:
      return <u64>sf.f32ToU32(<u32>a, FPRM_TIEAWAY, 0);
    case 47:
      return <u64>sf.f32ToU64(<u32>a, FPRM_TIEAWAY, 0);
    case 48:
      return <u64>sf.f32ToS32(<u32>a, FPRM_POSINF, 0);
    case 49:
      return <u64>sf.f32ToS64(<u32>a, FPRM_POSINF, 0);
    case 50:
      return <u64>sf.f32ToU32(<u32>a, FPRM_POSINF, 0);
    case 51:
      return <u64>sf.f32ToU64(<u32>a, FPRM_POSINF, 0);
    case 52:
      return <u64>sf.f32ToS32(<u32>a, FPRM_NEGINF, 0);
    case 53:
      return <u64>sf.f32ToS64(<u32>a, FPRM_NEGINF, 0);
    case 54:
      return <u64>sf.f32ToU32(<u32>a, FPRM_NEGINF, 0);
    case 55:
      return <u64>sf.f32ToU64(<u32>a, FPRM_NEGINF, 0);
    case 56:
      return <u64>sf.f32ToS32(<u32>a, FPRM_ZERO, 0);
    case 57:
      return <u64>sf.f32ToS64(<u32>a, FPRM_ZERO, 0);
    case 58:
      return <u64>sf.f32ToU32(<u32>a, FPRM_ZERO, 0);
    case 59:
      return <u64>sf.f32ToU64(<u32>a, FPRM_ZERO, 0);
    case 60:
      return <u64>sf.f32ToS32(<u32>a, FPRM_ZERO, <i32>c);
    case 64:
      return <u64>sf.s32ToF32(<u32>a, <i32>c);
    case 61:
      return <u64>sf.f32ToS64(<u32>a, FPRM_ZERO, <i32>c);
    case 65:
      return <u64>sf.s64ToF32(<u64>a, <i32>c);
    case 62:
      return <u64>sf.f32ToU32(<u32>a, FPRM_ZERO, <i32>c);
    case 66:
      return <u64>sf.u32ToF32(<u32>a, <i32>c);
    case 63:
      return <u64>sf.f32ToU64(<u32>a, FPRM_ZERO, <i32>c);
    case 67:
      return <u64>sf.u64ToF32(<u64>a, <i32>c);
    case 100:
      return <u64>sf.f64Add(<u64>a, <u64>b);
    case 101:
      return <u64>sf.f64Sub(<u64>a, <u64>b);
    case 102:
      return <u64>sf.f64Mul(<u64>a, <u64>b);
    case 103:
      return <u64>sf.f64Div(<u64>a, <u64>b);
    case 104:
      return <u64>sf.f64Sqrt(<u64>a);
    case 105:
      return <u64>sf.f64Fmadd(<u64>a, <u64>b, <u64>c);
    case 106:
      return <u64>sf.f64Fmsub(<u64>a, <u64>b, <u64>c);
    case 107:
      return <u64>sf.f64Fnmadd(<u64>a, <u64>b, <u64>c);
    case 108:
      return <u64>sf.f64Fnmsub(<u64>a, <u64>b, <u64>c);
    case 109:
      return <u64>sf.f64Nmul(<u64>a, <u64>b);
    case 110:
      return <u64>sf.f64Abd(<u64>a, <u64>b);
    case 111:
      return <u64>sf.f64Abs(<u64>a);
    case 112:
      return <u64>sf.f64Neg(<u64>a);
    case 113:
      return <u64>sf.f64Min(<u64>a, <u64>b);
    case 114:
      return <u64>sf.f64Max(<u64>a, <u64>b);
    case 115:
      return <u64>sf.f64MinNum(<u64>a, <u64>b);
    case 116:
      return <u64>sf.f64MaxNum(<u64>a, <u64>b);
    case 117:
      return <u64>sf.f64MulX(<u64>a, <u64>b);
    case 120:
      return <u64>(sf.f64CompareEq(<u64>a, <u64>b) ? ALL_ONES : 0);
    case 121:
      return <u64>(sf.f64CompareGe(<u64>a, <u64>b) ? ALL_ONES : 0);
    case 122:
      return <u64>(sf.f64CompareGt(<u64>a, <u64>b) ? ALL_ONES : 0);
    case 118:
      return <u64>sf.f64Compare(<u64>a, <u64>b, false);
    case 119:
      return <u64>sf.f64Compare(<u64>a, <u64>b, true);
    case 123:
      return <u64>sf.f64RoundInt(<u64>a, FPRM_TIEEVEN, false);
    case 124:
      return <u64>sf.f64RoundInt(<u64>a, FPRM_TIEAWAY, false);
    case 125:
      return <u64>sf.f64RoundInt(<u64>a, FPRM_POSINF, false);
    case 126:
      return <u64>sf.f64RoundInt(<u64>a, FPRM_NEGINF, false);
    case 127:
      return <u64>sf.f64RoundInt(<u64>a, FPRM_ZERO, false);
    case 128:
      return <u64>sf.f64RoundInt(<u64>a, FPRM_FPCR, false);
    case 129:
      return <u64>sf.f64RoundInt(<u64>a, FPRM_FPCR, true);
    case 130:
      return <u64>sf.f64RecipEstimate(<u64>a);
    case 131:
      return <u64>sf.f64RSqrtEstimate(<u64>a);
    case 132:
      return <u64>sf.f64RecipStep(<u64>a, <u64>b);
    case 133:
      return <u64>sf.f64RSqrtStep(<u64>a, <u64>b);
    case 134:
      return <u64>sf.f64RecpX(<u64>a);
    case 140:
      return <u64>sf.f64ToS32(<u64>a, FPRM_TIEEVEN, 0);
    case 141:
      return <u64>sf.f64ToS64(<u64>a, FPRM_TIEEVEN, 0);
    case 142:
      return <u64>sf.f64ToU32(<u64>a, FPRM_TIEEVEN, 0);
    case 143:
      return <u64>sf.f64ToU64(<u64>a, FPRM_TIEEVEN, 0);
    case 144:
      return <u64>sf.f64ToS32(<u64>a, FPRM_TIEAWAY, 0);
    case 145:
      return <u64>sf.f64ToS64(<u64>a, FPRM_TIEAWAY, 0);
    case 146:
      return <u64>sf.f64ToU32(<u64>a, FPRM_TIEAWAY, 0);
    case 147:
      return <u64>sf.f64ToU64(<u64>a, FPRM_TIEAWAY, 0);
    case 148:
      return <u64>sf.f64ToS32(<u64>a, FPRM_POSINF, 0);
    case 149:
      return <u64>sf.f64ToS64(<u64>a, FPRM_POSINF, 0);
    case 150:
      return <u64>sf.f64ToU32(<u64>a, FPRM_POSINF, 0);
    case 151:
      return <u64>sf.f64ToU64(<u64>a, FPRM_POSINF, 0);
    case 152:
      return <u64>sf.f64ToS32(<u64>a, FPRM_NEGINF, 0);
    case 153:
      return <u64>sf.f64ToS64(<u64>a, FPRM_NEGINF, 0);
    case 154:
      return <u64>sf.f64ToU32(<u64>a, FPRM_NEGINF, 0);
    case 155:
      return <u64>sf.f64ToU64(<u64>a, FPRM_NEGINF, 0);
    case 156:
      return <u64>sf.f64ToS32(<u64>a, FPRM_ZERO, 0);
    case 157:
      return <u64>sf.f64ToS64(<u64>a, FPRM_ZERO, 0);
    case 158:
      return <u64>sf.f64ToU32(<u64>a, FPRM_ZERO, 0);
    case 159:
      return <u64>sf.f64ToU64(<u64>a, FPRM_ZERO, 0);
    case 160:
      return <u64>sf.f64ToS32(<u64>a, FPRM_ZERO, <i32>c);
    case 164:
      return <u64>sf.s32ToF64(<u32>a, <i32>c);
    case 161:
      return <u64>sf.f64ToS64(<u64>a, FPRM_ZERO, <i32>c);
    case 165:
      return <u64>sf.s64ToF64(<u64>a, <i32>c);
    case 162:
      return <u64>sf.f64ToU32(<u64>a, FPRM_ZERO, <i32>c);
    case 166:
      return <u64>sf.u32ToF64(<u32>a, <i32>c);
    case 163:
      return <u64>sf.f64ToU64(<u64>a, FPRM_ZERO, <i32>c);
    case 167:
      return <u64>sf.u64ToF64(<u64>a, <i32>c);
    case 200:
      return <u64>sf.f32ToF64(<u32>a);
    case 201:
      return <u64>sf.f64ToF32(a);
    case 202:
      return <u64>sf.f16ToF32(<u32>a);
    case 203:
      return <u64>sf.f32ToF16(<u32>a);
    case 204:
      return <u64>sf.f16ToF64(<u32>a);
    case 205:
      return <u64>sf.f64ToF16(a);
    case 206:
      return <u64>sf.f64ToF32Odd(a);
    case 207:
      return <u64>sf.urecpe(<u32>a);
    case 208:
      return <u64>sf.ursqrte(<u32>a);
  }
  return 0xdeadbeef;
}

/** Runs n 32-byte input records at inPtr, writing 16-byte output records at outPtr. */
export function runBatch(inPtr: usize, n: i32, outPtr: usize): void {
  for (let i = 0; i < n; i++) {
    const p = inPtr + ((<usize>i) << 5);
    store<u64>(FPCR_ADDR, <u64>load<u32>(p, 4));
    const op = load<u32>(p);
    store<u64>(FPSR_ADDR, <u64>(op >> 16));
    const r = run(op & 0xffff, load<u64>(p, 8), load<u64>(p, 16), load<u64>(p, 24));
    const q = outPtr + ((<usize>i) << 4);
    store<u64>(q, r);
    store<u64>(q, load<u64>(FPSR_ADDR) & 0xffffffff, 8);
  }
}
