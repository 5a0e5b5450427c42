// Writes docs/openapi.json: the control API's OpenAPI document, generated from the routes and
// schemas of src/daemon (test/daemon/api.test.ts checks it is current). `npm run gen:openapi`.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { openApiText } from "../src/daemon/openapi.ts";

const out = join(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..", "docs", "openapi.json");
writeFileSync(out, openApiText());
console.log(`gen-openapi: wrote ${out}`);
