// `dormouse console NAME`: the VM's serial console through the daemon (an HTTP upgrade of
// GET /vms/{name}/console), in raw mode on a terminal; Ctrl-] detaches and leaves the VM running.
import { request } from "node:http";
import type { Socket } from "node:net";
import { ApiClientError } from "./api-client.ts";

/** The byte that detaches (Ctrl-], as telnet's and virsh console's escape). */
export const DETACH = 0x1d;

/** Opens the console of `name` on the daemon at `socketPath`: the raw byte stream both ways. */
export function openConsole(socketPath: string, name: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const req = request({
      socketPath,
      method: "GET",
      path: `/vms/${encodeURIComponent(name)}/console`,
      headers: { connection: "Upgrade", upgrade: "console" },
    });
    req.on("upgrade", (_res, socket: Socket, head: Buffer) => {
      if (head.length) socket.unshift(head);
      resolve(socket);
    });
    req.on("response", (res) => {
      const parts: Buffer[] = [];
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("end", () => {
        const text = Buffer.concat(parts).toString();
        let msg = text.trim();
        try {
          msg = (JSON.parse(text) as { error: string }).error ?? msg;
        } catch {
          // not JSON
        }
        reject(new ApiClientError(res.statusCode ?? 0, msg));
      });
    });
    req.on("error", reject);
    req.end();
  });
}

/** Attaches stdin/stdout to the console until Ctrl-] (on a terminal), the end of piped input, or the VM's process ends it. */
export async function attachConsole(socketPath: string, name: string): Promise<number> {
  const con = await openConsole(socketPath, name);
  const tty = process.stdin.isTTY;
  if (tty) {
    process.stdin.setRawMode?.(true);
    process.stderr.write(`dormouse: console of ${name} attached (Ctrl-] detaches)\r\n`);
  }
  return new Promise((resolve) => {
    let detached = false;
    const input = (d: Buffer) => {
      const at = tty ? d.indexOf(DETACH) : -1;
      if (at >= 0) {
        if (at > 0) con.write(d.subarray(0, at));
        detached = true;
        con.end();
        finish(0);
        return;
      }
      con.write(d);
    };
    const finish = (code: number) => {
      process.stdin.off("data", input);
      process.stdin.pause();
      if (tty) process.stdin.setRawMode?.(false);
      if (tty) process.stderr.write(detached ? `\r\ndormouse: detached from ${name}\n` : `\r\ndormouse: the console of ${name} closed\n`);
      resolve(code);
    };
    con.on("data", (d: Buffer) => process.stdout.write(d));
    con.on("close", () => {
      if (!detached) finish(0);
    });
    con.on("error", () => {});
    process.stdin.on("data", input);
    // Piped input (not a terminal) that ends detaches once the guest has been quiet for a second.
    process.stdin.on("end", () => {
      if (tty) return;
      let quiet = setTimeout(() => detach(), 1000);
      con.on("data", () => {
        clearTimeout(quiet);
        quiet = setTimeout(() => detach(), 1000);
      });
    });
    const detach = () => {
      if (detached) return;
      detached = true;
      con.end();
      finish(0);
    };
    process.stdin.on("error", () => {});
    process.stdin.resume();
  });
}
