// Op table shared by the differential tests: ids match oracle.c and entry.ts.

/** Operand kinds: float formats, integer widths, or none. */
export type Kind = "f16" | "f32" | "f64" | "i32" | "i64" | "-";

export interface OpSpec {
  id: number;
  name: string;
  /** Kinds of operands a, b, c. For conversions with fixed-point, c carries fbits. */
  a: Kind;
  b: Kind;
  c: Kind;
  /** Maximum fbits (c) for fixed-point conversions, 0 otherwise. */
  fbits: number;
  /** Special pairing for the second/third operand to hit interesting cases. */
  pair?: "fma" | "recps" | "rsqrts";
}

const ARITH: [string, number, string?][] = [
  ["fadd", 2],
  ["fsub", 2],
  ["fmul", 2],
  ["fdiv", 2],
  ["fsqrt", 1],
  ["fmadd", 3, "fma"],
  ["fmsub", 3, "fma"],
  ["fnmadd", 3, "fma"],
  ["fnmsub", 3, "fma"],
  ["fnmul", 2],
  ["fabd", 2],
  ["fabs", 1],
  ["fneg", 1],
  ["fmin", 2],
  ["fmax", 2],
  ["fminnm", 2],
  ["fmaxnm", 2],
  ["fmulx", 2],
  ["fcmp", 2],
  ["fcmpe", 2],
  ["fcmeq", 2],
  ["fcmge", 2],
  ["fcmgt", 2],
  ["frintn", 1],
  ["frinta", 1],
  ["frintp", 1],
  ["frintm", 1],
  ["frintz", 1],
  ["frinti", 1],
  ["frintx", 1],
  ["frecpe", 1],
  ["frsqrte", 1],
  ["frecps", 2, "recps"],
  ["frsqrts", 2, "rsqrts"],
  ["frecpx", 1],
];

function build(): OpSpec[] {
  const ops: OpSpec[] = [];
  for (const [p, base, f] of [
    ["s", 0, "f32"],
    ["d", 100, "f64"],
  ] as const) {
    ARITH.forEach(([name, arity, pair], i) => {
      ops.push({
        id: base + i,
        name: `${name} ${p}`,
        a: f,
        b: arity >= 2 ? f : "-",
        c: arity >= 3 ? f : "-",
        fbits: 0,
        pair: pair as OpSpec["pair"],
      });
    });
    "napmz".split("").forEach((rm, ri) => {
      for (const u of [0, 1]) {
        for (const x of [0, 1]) {
          ops.push({
            id: base + 40 + ri * 4 + u * 2 + x,
            name: `fcvt${rm}${u ? "u" : "s"} ${x ? "x" : "w"}, ${p}`,
            a: f,
            b: "-",
            c: "-",
            fbits: 0,
          });
        }
      }
    });
    for (const u of [0, 1]) {
      for (const x of [0, 1]) {
        ops.push({
          id: base + 60 + u * 2 + x,
          name: `fcvtz${u ? "u" : "s"} ${x ? "x" : "w"}, ${p}, #fbits`,
          a: f,
          b: "-",
          c: "-",
          fbits: x ? 64 : 32,
        });
        ops.push({
          id: base + 64 + u * 2 + x,
          name: `${u ? "u" : "s"}cvtf ${p}, ${x ? "x" : "w"}, #fbits`,
          a: x ? "i64" : "i32",
          b: "-",
          c: "-",
          fbits: x ? 64 : 32,
        });
      }
    }
  }
  const cv: [number, string, Kind][] = [
    [200, "fcvt d, s", "f32"],
    [201, "fcvt s, d", "f64"],
    [202, "fcvt s, h", "f16"],
    [203, "fcvt h, s", "f32"],
    [204, "fcvt d, h", "f16"],
    [205, "fcvt h, d", "f64"],
    [206, "fcvtxn s, d", "f64"],
    [207, "urecpe", "i32"],
    [208, "ursqrte", "i32"],
  ];
  for (const [id, name, a] of cv) ops.push({ id, name, a, b: "-", c: "-", fbits: 0 });
  return ops;
}

export const OPS: OpSpec[] = build();
