// What a client of the local daemon needs without loading the daemon (the CLI's client commands
// start in a few milliseconds with no schemas compiled): the name rule of VMs, where the state
// directory, its API socket and a VM's folder are, a connection to a unix socket, and the
// command that runs dormouse.
import { existsSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** A VM's name: what the CLI, the API's paths and the state directory's folders use. */
export const VM_NAME_PATTERN = "^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$";
const NAME_RE = new RegExp(VM_NAME_PATTERN);

/** Whether `s` is a valid VM name. */
export const isVmName = (s: string): boolean => NAME_RE.test(s);

/** $XDG_STATE_HOME/dormouse, else ~/.local/state/dormouse. */
export function defaultStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_STATE_HOME;
  return xdg && xdg.startsWith("/") ? join(xdg, "dormouse") : join(homedir(), ".local", "state", "dormouse");
}

/** The daemon's API socket in the state directory `dir`. */
export const apiSocketOf = (dir: string): string => join(dir, "dormouse.sock");

/** The folder of the VM `name` in the state directory `dir`. */
export const vmDirOf = (dir: string, name: string): string => join(dir, "vms", name);

/**
 * Node's flags for the processes that run dormouse, as bin/dormouse.mjs's first line gives them
 * (the daemon and the VM processes it starts get them too): V8's memory reducer off, so a
 * suspended VM's process does not run its GCs while the guest sleeps (the VM collects garbage
 * itself as the guest goes to sleep, src/host/node/gc.ts).
 */
export const NODE_FLAGS: readonly string[] = ["--no-memory-reducer"];

/**
 * What a process that runs dormouse starts without, as bin/dormouse.mjs's first line unsets it:
 * NODE_EXTRA_CA_CERTS, which Node reads and parses before any script runs (where it names the
 * system's bundle of 144 certificates, Node took 66-95 ms to a script's first line instead of
 * 26-29, and a resume 0.20 s instead of 0.165), and which only Node's TLS uses: Dormouse makes no TLS connection (apt fetches its downloads).
 */
export const NODE_ENV_UNSET: readonly string[] = ["NODE_EXTRA_CA_CERTS"];

/** `env` without NODE_ENV_UNSET: the environment of a process that runs dormouse. */
export function dormouseEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const k of NODE_ENV_UNSET) delete out[k];
  return out;
}

/** This Node and the checkout's bin/dormouse.mjs (found upward from this module). */
export function dormouseScript(): { node: string; script: string } {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, "bin/dormouse.mjs");
    if (existsSync(p) && existsSync(join(dir, "package.json"))) return { node: process.execPath, script: p };
    dir = dirname(dir);
  }
  return { node: process.execPath, script: process.argv[1] };
}

/** The command that runs `dormouse`: node with NODE_FLAGS and the script (in dormouseEnv()). */
export function dormouseCommand(): string[] {
  const { node, script } = dormouseScript();
  return [node, ...NODE_FLAGS, script];
}

/** A connection to the unix socket `path`, or the error (no answer within `timeoutMs`). */
export function connectUnix(path: string, timeoutMs = 5000): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer on ${path}`));
    }, timeoutMs);
    s.once("connect", () => {
      clearTimeout(t);
      s.removeAllListeners("error");
      resolve(s);
    });
    s.once("error", (e) => {
      clearTimeout(t);
      reject(e);
    });
  });
}
