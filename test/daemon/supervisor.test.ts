// The daemon's link to a VM process: a reply and the events read after it.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { connectUnix, VmLink } from "../../src/daemon/supervisor.ts";

test("a reply read together with a later event is no longer current; one read alone is", async () => {
  const dir = mkdtempSync(join(tmpdir(), "dormouse-link-"));
  const path = join(dir, "vm.sock");
  let peer!: Socket;
  const server = createServer((c) => {
    peer = c;
    let buf = "";
    c.on("data", (d) => {
      buf += d.toString();
      for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
        const m = JSON.parse(buf.slice(0, i)) as { id: number; cmd: string };
        buf = buf.slice(i + 1);
        const reply = JSON.stringify({ id: m.id, ok: true, result: { state: "running" } });
        // "go": the guest suspends at once, its event written right behind the reply (one chunk).
        if (m.cmd === "go") c.write(`${reply}\n${JSON.stringify({ event: { event: "suspended", timestamp: "t" } })}\n`);
        else c.write(`${reply}\n`);
      }
    });
  });
  await new Promise<void>((r) => server.listen(path, r));
  try {
    const link = new VmLink(await connectUnix(path));
    const seen: string[] = [];
    let stateAtReply = "";
    await link.subscribe((e) => seen.push(e.event), false);
    const go = link.request({ cmd: "go" });
    void go.then(() => (stateAtReply = seen.join(",")));
    const r = await go;
    assert.equal(stateAtReply, "suspended", "the event was handled before the reply's continuation ran");
    assert.equal(link.current(r), false, "the event read after the reply is newer than its state");
    const s = await link.request({ cmd: "status" });
    assert.equal(link.current(s), true);
    link.close();
    peer.destroy();
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
