// Generates the A64 decoder, dispatcher and disassembler from the encoding tables in
// src/cpu/decode/*.decode (see src/cpu/decode/README.md for the table format).
//
// Outputs (build products, not committed):
//   src/cpu/core/generated/decode.gen.ts   AssemblyScript: decode(word) → op, execute(op, word), op flags
//   src/cpu/disasm/generated/disasm.gen.ts TypeScript: disassemble(word, pc) and op names
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const tableDir = join(root, "src/cpu/decode");

export interface Field {
  name: string;
  pos: number;
  width: number;
}

export interface Entry {
  name: string;
  group: string;
  file: string;
  line: number;
  mask: number;
  value: number;
  fields: Field[];
  cond: string | null;
  flags: Set<string>;
  template: string | null;
  aliases: { cond: string; template: string }[];
}

export class TableError extends Error {}

/** Parses one table file. */
export function parseTable(text: string, group: string, file: string): Entry[] {
  const entries: Entry[] = [];
  const byName = new Map<string, Entry>();
  text.split("\n").forEach((raw, i) => {
    const lineNo = i + 1;
    const where = `${file}:${lineNo}`;
    const hash = raw.search(/(^|\s)#/);
    // The template separator is a lone "|" ("||" may appear in conditions).
    const bar = raw.search(/(?<!\|)\|(?!\|)/);
    let body = raw;
    let template: string | null = null;
    if (bar >= 0) {
      body = raw.slice(0, bar);
      template = raw.slice(bar + 1).trim();
    }
    if (hash >= 0 && (bar < 0 || hash < bar)) {
      body = raw.slice(0, hash);
      template = null;
    }
    body = body.trim();
    if (body === "") return;
    if (body.startsWith("@alias")) {
      const m = /^@alias\s+(\w+)\s+if\((.*)\)$/.exec(body);
      if (!m || template === null) throw new TableError(`${where}: expected "@alias NAME if(expr) | template"`);
      const base = byName.get(m[1]);
      if (!base) throw new TableError(`${where}: alias of unknown entry ${m[1]} (aliases follow their entry)`);
      base.aliases.push({ cond: m[2], template });
      return;
    }
    let cond: string | null = null;
    const ci = body.indexOf(" if(");
    if (ci >= 0) {
      const close = body.lastIndexOf(")");
      cond = body.slice(ci + 4, close);
      body = (body.slice(0, ci) + body.slice(close + 1)).trim();
    }
    const tokens = body.split(/\s+/);
    const name = tokens.shift() as string;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new TableError(`${where}: bad entry name ${name}`);
    if (byName.has(name)) throw new TableError(`${where}: duplicate entry ${name}`);
    const flags = new Set<string>();
    let pos = 32;
    let mask = 0;
    let value = 0;
    const fields: Field[] = [];
    for (const t of tokens) {
      if (t.startsWith("!")) {
        flags.add(t.slice(1));
        continue;
      }
      const fm = /^([A-Za-z_][A-Za-z0-9_]*):(\d+)$/.exec(t);
      if (fm) {
        const width = Number(fm[2]);
        pos -= width;
        fields.push({ name: fm[1], pos, width });
        continue;
      }
      if (!/^[01x.]+$/.test(t)) throw new TableError(`${where}: bad pattern token "${t}"`);
      for (const ch of t) {
        pos--;
        if (ch === "0" || ch === "1") {
          mask |= 1 << pos;
          if (ch === "1") value |= 1 << pos;
        }
      }
    }
    if (pos !== 0) throw new TableError(`${where}: pattern of ${name} has ${32 - pos} bits, not 32`);
    const e: Entry = {
      name,
      group,
      file,
      line: lineNo,
      mask: mask >>> 0,
      value: value >>> 0,
      fields,
      cond,
      flags,
      template,
      aliases: [],
    };
    entries.push(e);
    byName.set(name, e);
  });
  return entries;
}

export function loadTables(dir = tableDir): Entry[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".decode"))
    .sort();
  const all: Entry[] = [];
  const names = new Map<string, string>();
  // Tables are matched in file-name order, entries in file order: first match wins.
  for (const f of files) {
    const group = basename(f, ".decode");
    for (const e of parseTable(readFileSync(join(dir, f), "utf8"), group, f)) {
      const prev = names.get(e.name);
      if (prev) throw new TableError(`${f}:${e.line}: entry ${e.name} also defined in ${prev}`);
      names.set(e.name, `${f}:${e.line}`);
      all.push(e);
    }
  }
  return all;
}

const hex = (v: number) => `0x${(v >>> 0).toString(16)}`;

function fieldExpr(f: Field, w: string): string {
  const m = f.width === 32 ? "0xffffffff" : hex(2 ** f.width - 1);
  return f.pos === 0 ? `(${w} & ${m})` : `((${w} >>> ${f.pos}) & ${m})`;
}

interface Indexed {
  e: Entry;
  op: number;
}

/** Emits a decision tree that returns the op of the first matching entry (0 when none). */
function emitTree(list: Indexed[], ind: string, lang: "as" | "ts", depth = 0): string {
  const cast = lang === "as" ? "" : " >>> 0";
  const leaf = () => {
    let s = "";
    for (const { e, op } of list) {
      let test = `(w & ${hex(e.mask)})${cast} == ${hex(e.value)}`;
      if (e.cond) {
        const used = e.fields.filter((f) => new RegExp(`\\b${f.name}\\b`).test(e.cond as string));
        const decls = used.map((f) => `const ${f.name} = ${fieldExpr(f, "w")};`).join(" ");
        s += `${ind}if (${test}) { ${decls} if (${e.cond}) return ${op}; }\n`;
        continue;
      }
      if (e.mask === 0) test = "true";
      s += `${ind}if (${test}) return ${op};\n`;
    }
    return `${s}${ind}return 0;\n`;
  };
  if (list.length <= 3 || depth > 12) return leaf();
  let common = 0xffffffff;
  for (const { e } of list) common &= e.mask;
  common >>>= 0;
  if (common !== 0) {
    // Take the most significant contiguous run of common bits, at most 8 wide.
    let hi = 31;
    while (!((common >>> hi) & 1)) hi--;
    let lo = hi;
    while (lo > 0 && (common >>> (lo - 1)) & 1 && hi - lo + 1 < 8) lo--;
    const width = hi - lo + 1;
    const m = 2 ** width - 1;
    const buckets = new Map<number, Indexed[]>();
    for (const x of list) {
      const k = (x.e.value >>> lo) & m;
      const b = buckets.get(k);
      if (b) b.push(x);
      else buckets.set(k, [x]);
    }
    let s = `${ind}switch ((w >>> ${lo}) & ${hex(m)}) {\n`;
    for (const k of [...buckets.keys()].sort((a, b) => a - b)) {
      s += `${ind}  case ${k}: {\n${emitTree(buckets.get(k) as Indexed[], `${ind}    `, lang, depth + 1)}${ind}  }\n`;
    }
    return `${s}${ind}}\n${ind}return 0;\n`;
  }
  // No bit is fixed by every entry: split on the bit that divides the list best; entries
  // that leave it open go to both sides, keeping their order (first match still wins).
  let best = -1;
  let bestScore = 0;
  for (let b = 0; b < 32; b++) {
    let n0 = 0;
    let n1 = 0;
    for (const { e } of list) {
      if ((e.mask >>> b) & 1) {
        if ((e.value >>> b) & 1) n1++;
        else n0++;
      }
    }
    const score = Math.min(n0, n1);
    if (score > bestScore) {
      bestScore = score;
      best = b;
    }
  }
  if (best < 0) return leaf();
  const side = (v: number) => list.filter(({ e }) => !((e.mask >>> best) & 1) || ((e.value >>> best) & 1) === v);
  const s0 = side(0);
  const s1 = side(1);
  if (s0.length === list.length || s1.length === list.length) return leaf();
  return (
    `${ind}if ((w >>> ${best}) & 1) {\n${emitTree(s1, `${ind}  `, lang, depth + 1)}${ind}} else {\n` +
    `${emitTree(s0, `${ind}  `, lang, depth + 1)}${ind}}\n`
  );
}

const HEADER = (tool: string) => `// GENERATED by ${tool} from src/cpu/decode/*.decode — do not edit; edit the tables instead.\n`;

export function generateAs(entries: Entry[]): string {
  const indexed = entries.map((e, i) => ({ e, op: i + 1 }));
  const byGroup = new Map<string, string[]>();
  for (const e of entries) {
    const g = byGroup.get(e.group) ?? [];
    g.push(e.name);
    byGroup.set(e.group, g);
  }
  let s = HEADER("tools/gen-decoder.ts");
  s += `import { undefinedInstruction } from "../exceptions";\n`;
  for (const [g, names] of byGroup) s += `import { ${names.join(", ")} } from "../isa/${g}";\n`;
  s += `\n/** Number of ops (op 0 is "unallocated"). */\nexport const OP_COUNT: u32 = ${entries.length + 1};\n\n`;
  s += `/** Decodes an A64 instruction word to its op (0 when unallocated or unimplemented). */\n`;
  s += `export function decode(w: u32): u32 {\n${emitTree(indexed, "  ", "as")}}\n\n`;
  // One small function per op, called through the function table: V8 optimises each on its
  // own (one 120 KB switch with every handler inlined was barely faster under TurboFan than
  // under Liftoff), and the dispatch is a single indirect call.
  s += `function x_undefined(w: u32): void {\n  undefinedInstruction();\n}\n`;
  for (const { e } of indexed) {
    const args = e.fields.map((f) => fieldExpr(f, "w")).join(", ");
    s += `function x_${e.name}(w: u32): void {\n  ${e.name}(${args});\n}\n`;
  }
  s += `\n/** Function-table index of each op's handler (x_undefined for op 0). */\n`;
  s += `const EXEC: StaticArray<u32> = [\n  x_undefined.index,\n${indexed.map(({ e }) => `  x_${e.name}.index,\n`).join("")}];\n\n`;
  s += `/** The function-table index of op's handler (op < OP_COUNT): what decoded blocks hold. */\n`;
  s += `// @ts-ignore: decorator\n@inline export function handlerOf(op: u32): u32 {\n  return unchecked(EXEC[op]);\n}\n\n`;
  s += `/** Executes one decoded instruction (op < OP_COUNT). */\n`;
  s += `// @ts-ignore: decorator\n@inline export function execute(op: u32, w: u32): void {\n  call_indirect<void>(unchecked(EXEC[op]), w);\n}\n\n`;
  const ends = indexed.filter(({ e }) => e.flags.has("end")).map(({ op }) => op);
  s += `/** True for ops after which a decoded block ends (unconditional control flow, exception returns). */\n`;
  s += `export function endsBlock(op: u32): bool {\n  switch (op) {\n`;
  for (const op of ends) s += `    case ${op}:\n`;
  if (ends.length) s += `      return true;\n`;
  s += `    default:\n      return false;\n  }\n}\n`;
  return s;
}

export function generateTs(entries: Entry[], helpers: string[], fmtFiles: string[]): string {
  for (const e of entries) {
    for (const f of e.fields) {
      if (helpers.includes(f.name) || f.name === "insn" || f.name === "pc") {
        throw new TableError(`${e.file}:${e.line}: field "${f.name}" hides a disassembler helper of the same name`);
      }
    }
  }
  const indexed = entries.map((e, i) => ({ e, op: i + 1 }));
  let s = HEADER("tools/gen-decoder.ts");
  s += `/* eslint-disable */\n`;
  fmtFiles.forEach((f, i) => {
    s += `import * as F${i} from "../${f.replace(/\.ts$/, ".js")}";\n`;
  });
  s += `const F = { ${fmtFiles.map((_, i) => `...F${i}`).join(", ")} };\n\n`;
  s += `/** Op names by op number (0 = unallocated). */\nexport const OP_NAMES: readonly string[] = ${JSON.stringify(["UNALLOCATED", ...entries.map((e) => e.name)])};\n\n`;
  s += `/** Op numbers to the table entry that defines them ("file:line"). */\nexport const OP_SOURCES: readonly string[] = ${JSON.stringify(["", ...entries.map((e) => `${e.file}:${e.line}`)])};\n\n`;
  s += `/** Decodes an A64 instruction word to its op (0 when unallocated). */\nexport function decodeOp(w: number): number {\n  w = w >>> 0;\n${emitTree(indexed, "  ", "ts")}}\n\n`;
  s += `/** Disassembles one op; null when the table gives it no template. */\n`;
  s += `export function formatOp(op: number, insn: number, pc: bigint): string | null {\n  const { ${helpers.join(", ")} } = F;\n  void [${helpers.join(", ")}, pc];\n  switch (op) {\n`;
  for (const { e, op } of indexed) {
    if (!e.template && e.aliases.length === 0) continue;
    const decls = e.fields.map((f) => `const ${f.name} = ${fieldExpr(f, "insn")};`).join(" ");
    const uses = e.fields.map((f) => f.name).join(", ");
    s += `    case ${op}: {\n      ${decls}\n      void [${uses}];\n`;
    for (const a of e.aliases) s += `      if (${a.cond}) return \`${a.template}\`;\n`;
    s += `      return ${e.template ? `\`${e.template}\`` : "null"};\n    }\n`;
  }
  s += `    default:\n      return null;\n  }\n}\n`;
  return s;
}

async function main() {
  const entries = loadTables();
  // Disassembler helpers: every export of src/cpu/disasm/fmt*.ts (one file per group may add its own).
  const disasmDir = join(root, "src/cpu/disasm");
  const fmtFiles = readdirSync(disasmDir)
    .filter((f) => /^fmt.*\.ts$/.test(f))
    .sort();
  const helpers: string[] = [];
  for (const f of fmtFiles) {
    const mod = await import(join(disasmDir, f));
    for (const k of Object.keys(mod)) {
      if (typeof mod[k] !== "function") continue;
      if (helpers.includes(k)) throw new TableError(`disassembler helper ${k} is exported twice (${f})`);
      helpers.push(k);
    }
  }
  const asOut = join(root, "src/cpu/core/generated/decode.gen.ts");
  const tsOut = join(root, "src/cpu/disasm/generated/disasm.gen.ts");
  mkdirSync(dirname(asOut), { recursive: true });
  mkdirSync(dirname(tsOut), { recursive: true });
  writeFileSync(asOut, generateAs(entries));
  writeFileSync(tsOut, generateTs(entries, helpers, fmtFiles));
  console.log(`gen-decoder: ${entries.length} encodings`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => {
    if (e instanceof TableError) {
      console.error(`gen-decoder: ${e.message}`);
      process.exit(1);
    }
    throw e;
  });
}
