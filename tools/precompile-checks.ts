// The checks of a snapshot header's schemas generated ahead of time, for the CLI's resume bundle
// (src/schema/index.ts PrecompiledCheck; tools/build-cli-resume.ts puts them in the bundle): a
// small VM (2 vCPUs, a disk, the RNG, a guest spinning in place) is paused and snapshotted, the
// snapshot read back and restored with the schemas validate() checks recorded, and each one's compiled code
// (typebox's Code) written as a function of its externals (paths to them in the schema). Every
// check is tried on the value it was recorded with before it is kept. A schema whose code needs
// more than that (typebox's CheckContext) or whose externals are not found is left out:
// validate() compiles it as it would without these.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Code, Compile } from "typebox/compile";
import { nodeHost, nodeSnapshotIo } from "../src/host/node/index.ts";
import { type PrecompiledCheck, precompiledFor, recordCompiledSchemas, schemaFingerprint, type TSchema } from "../src/schema/index.ts";
import { readSnapshot } from "../src/vmm/snapshot.ts";
import { VirtualMachine } from "../src/vmm/virtual-machine.ts";

/** The path from `root` to the object `target` (every own property searched, depth first), or null. */
function pathTo(root: unknown, target: unknown): (string | number)[] | null {
  const seen = new Set<unknown>();
  const search = (v: unknown, path: (string | number)[]): (string | number)[] | null => {
    if (v === target) return path;
    if (v === null || typeof v !== "object" || seen.has(v)) return null;
    seen.add(v);
    for (const k of Object.getOwnPropertyNames(v)) {
      if (Array.isArray(v) && k === "length") continue;
      const found = search((v as Record<string, unknown>)[k], [...path, Array.isArray(v) ? Number(k) : k]);
      if (found) return found;
    }
    return null;
  };
  return search(root, []);
}

/**
 * A snapshot of a small running VM (2 vCPUs, a disk, the RNG, a guest spinning in place), paused
 * and saved into `dir` (which holds its disk too): its path.
 */
export async function smallVmSnapshot(dir: string): Promise<string> {
  const disk = join(dir, "disk.img");
  writeFileSync(disk, Buffer.alloc(1 << 20));
  const vm = new VirtualMachine(
    {
      board: { cpus: 2, ramSize: 16 << 20, psciConduit: "hvc", systemSuspend: true, rng: true, disks: [{ path: disk }] },
      // b . (a branch to itself)
      image: { kind: "binary", bytes: Uint8Array.of(0x00, 0x00, 0x00, 0x14) },
    },
    nodeHost(),
  );
  const snap = join(dir, "vm.snap");
  vm.start();
  await vm.pause();
  await vm.save(snap);
  await vm.stop();
  vm.close();
  return snap;
}

/** The schemas (and a value each passed) that reading and restoring a snapshot of a small VM validates. */
export async function headerSchemas(): Promise<[TSchema, unknown][]> {
  const dir = mkdtempSync(join(tmpdir(), "dormouse-precompile-"));
  try {
    const snap = await smallVmSnapshot(dir);
    const seen: [TSchema, unknown][] = [];
    recordCompiledSchemas((schema, value) => seen.push([schema, value]));
    try {
      // Read, then restored: the devices check their own states again as they take them.
      const s = readSnapshot(snap, nodeSnapshotIo);
      const again = new VirtualMachine({ board: s.header.config }, nodeHost());
      await again.restore(s, snap, { into: "paused" });
      await again.stop();
      again.close();
    } finally {
      recordCompiledSchemas(null);
    }
    return seen;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One schema's check as JavaScript source (a PrecompiledCheck), or null when it cannot be generated. */
function generate(schema: TSchema, value: unknown): string | null {
  const { Code: code, External } = Code(schema);
  if (code.includes("CheckContext")) return null;
  const externals: PrecompiledCheck["externals"] = [];
  for (const v of External.variables as unknown[]) {
    if (v instanceof RegExp) externals.push({ regexp: v.source, flags: v.flags });
    else {
      const path = pathTo(schema, v);
      if (!path) return null;
      externals.push({ path });
    }
  }
  const body = code
    .split("\n")
    .filter((l) => !l.startsWith("import ") && !l.startsWith("let External") && !l.startsWith("export function SetExternal"))
    .join("\n")
    .replace("export function Check(value)", "function Check(value)");
  const make = `function (External, Hashing, Guard) {\n${body}\nreturn Check;\n}`;
  // Tried before it is kept: the value it was recorded with passes it, as it passed the compiled one.
  const check = precompiledFor({ externals, make: new Function(`return ${make}`)() }, schema);
  if (!check?.(value) || !Compile(schema).Check(value)) throw new Error("a precompiled check refuses the value it was generated with");
  return `{ externals: ${JSON.stringify(externals)}, make: ${make} }`;
}

/** The checks as the source of an object literal, by schema fingerprint. */
export async function precompiledChecks(): Promise<{ source: string; count: number; left: number }> {
  const entries = new Map<string, string>();
  let left = 0;
  for (const [schema, value] of await headerSchemas()) {
    const fp = schemaFingerprint(schema);
    if (entries.has(fp)) continue;
    const source = generate(schema, value);
    if (source) entries.set(fp, source);
    else left++;
  }
  const source = `{\n${[...entries].map(([fp, s]) => `${JSON.stringify(fp)}: ${s}`).join(",\n")}\n}`;
  return { source, count: entries.size, left };
}
