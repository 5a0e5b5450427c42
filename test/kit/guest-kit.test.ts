// The guest kit's failure mode: an archive that cannot be reached is a clear error (apt-get
// update only warns). Fetching and booting the kit is test/linux's job.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot } from "../support/toolchain.ts";

test("an unreachable archive is a clear error with a nonzero exit", () => {
  const cache = mkdtempSync(join(tmpdir(), "dormouse-kit-"));
  const r = spawnSync(
    process.execPath,
    [join(repoRoot, "bin/dormouse.mjs"), "guest-kit", "--cache", cache, "--mirror", "http://127.0.0.1:9/debian"],
    { encoding: "utf8", timeout: 120_000 },
  );
  assert.equal(r.status, 1);
  assert.match(r.stderr, /cannot reach the Debian archive \(http:\/\/127\.0\.0\.1:9\/debian, sid\)/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});
