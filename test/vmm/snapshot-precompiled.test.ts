// The resume bundle's checks of the snapshot header, generated ahead of time
// (tools/precompile-checks.ts), decide as typebox's compiled checks of the same schemas do: on the
// values a real snapshot holds and on those values broken field by field (a field missing, of
// another type, out of range, an extra one), at every depth.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Compile } from "typebox/compile";
import { type PrecompiledCheck, precompiledFor, schemaFingerprint } from "../../src/schema/index.ts";
import { headerSchemas, precompiledChecks } from "../../tools/precompile-checks.ts";

/** `value` broken in one place at a time: each object's fields removed, replaced and added to, each array's items replaced. */
function* broken(value: unknown, depth = 0): Generator<unknown> {
  if (depth > 6 || value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    yield [...value, value[0]];
    yield value.slice(1);
    for (let i = 0; i < Math.min(value.length, 3); i++) {
      for (const bad of [-1, "x", null, 2n ** 130n]) yield value.map((v, k) => (k === i ? bad : v));
      for (const inner of broken(value[i], depth + 1)) yield value.map((v, k) => (k === i ? inner : v));
    }
    return;
  }
  const o = value as Record<string, unknown>;
  yield { ...o, extra: 1 };
  for (const k of Object.keys(o)) {
    const { [k]: _gone, ...rest } = o;
    yield rest;
    for (const bad of [-1, 1.5, 2 ** 40, "x", true, null, -1n, 2n ** 130n, [], {}]) yield { ...o, [k]: bad };
    for (const inner of broken(o[k], depth + 1)) yield { ...o, [k]: inner };
  }
}

test("the generated header checks decide as typebox's compiled ones, on real and broken values", async () => {
  const { source, count, left } = await precompiledChecks();
  assert.equal(left, 0, "every header schema has a generated check");
  assert.ok(count >= 10, `${count} checks`);
  const table = new Function(`return ${source}`)() as Record<string, PrecompiledCheck>;
  let tried = 0;
  for (const [schema, value] of await headerSchemas()) {
    const p = table[schemaFingerprint(schema)];
    assert.ok(p, "a check for each schema");
    const generated = precompiledFor(p, schema);
    assert.ok(generated);
    const compiled = Compile(schema);
    assert.equal(generated(value), true);
    for (const v of broken(value)) {
      assert.equal(generated(v), compiled.Check(v), `${JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? `${x}n` : x)).slice(0, 200)}`);
      tried++;
    }
  }
  assert.ok(tried > 1000, `${tried} values tried`);
});
