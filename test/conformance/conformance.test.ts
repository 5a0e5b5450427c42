// The spec §5 conformance scenarios in the test suite, one test per scenario ID.
import { test } from "node:test";
import { scenarios } from "./index.ts";

for (const s of scenarios) test(`${s.id} ${s.title}`, () => s.run());
