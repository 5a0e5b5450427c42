// Driving a guest's serial console from tests and tools: everything the guest printed, waiting
// for text to appear, and running shell commands in the guest kit's busybox shell — for a board
// in this process or for a `dormouse` child process.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { join } from "node:path";
import { dormouseEnv, NODE_FLAGS } from "../../src/daemon/locate.ts";
import { repoRoot } from "./toolchain.ts";

/** A guest console: what the guest printed, and a way to type into it. */
export class GuestConsole {
  text = "";
  private waiters: { re: RegExp; from: number; resolve: (m: RegExpExecArray) => void }[] = [];
  private n: number;

  /**
   * `eager`: look for what is awaited after every piece of output, not only at line ends (for
   * full-screen firmware menus drawn with cursor movements and no newlines). `markerBase` numbers
   * the end markers of sh() (give another to a console that shows output of an earlier one).
   */
  constructor(
    private readonly type: (s: string) => void,
    private readonly eager = false,
    markerBase = 0,
  ) {
    this.n = markerBase;
  }

  /** Guest output (bytes as latin1 text). */
  push(s: string): void {
    this.text += s;
    // Lines end in \n; a countdown rewrites its line after \r (firmware prompts).
    if (this.eager || s.includes("\n") || s.includes("\r")) this.check();
  }

  private check(): void {
    this.waiters = this.waiters.filter((w) => {
      const m = w.re.exec(this.text.slice(w.from));
      if (m) w.resolve(m);
      return !m;
    });
  }

  /** Waits until `re` matches the output from offset `from`; fails after `ms` with the console tail. */
  wait(re: RegExp, from: number, ms: number, what: string): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; console tail:\n${this.text.slice(-1500)}`)), ms);
      this.waiters.push({
        re,
        from,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
      this.check();
    });
  }

  /** Types text into the guest's console. */
  send(s: string): void {
    this.type(s);
  }

  /**
   * Runs a shell command and returns its output. The end marker is computed by the shell, so the
   * echo of the typed line cannot match it.
   */
  async sh(cmd: string, ms = 120_000): Promise<string> {
    const k = ++this.n + 1000;
    const from = this.text.length;
    this.type(`${cmd}; echo "@@$((${k}+0))@@"\n`);
    await this.wait(new RegExp(`@@${k}@@`), from, ms, cmd);
    const out = this.text.slice(from);
    return out.slice(out.indexOf("\n") + 1, out.lastIndexOf(`@@${k}@@`));
  }
}

/** A `dormouse` child process: its console on stdin/stdout, its -v log on stderr. */
export class DormouseProcess {
  readonly proc: ChildProcessWithoutNullStreams;
  readonly console: GuestConsole;
  stderr = "";
  readonly exited: Promise<number | null>;
  private logWaiters: { re: RegExp; from: number; resolve: () => void }[] = [];

  constructor(args: string[]) {
    // As a user's shell runs it (bin/dormouse.mjs's first line: node with NODE_FLAGS, in dormouseEnv()).
    this.proc = spawn(process.execPath, [...NODE_FLAGS, join(repoRoot, "bin/dormouse.mjs"), ...args], {
      stdio: ["pipe", "pipe", "pipe"],
      env: dormouseEnv(),
    });
    this.console = new GuestConsole((s) => this.proc.stdin.write(s));
    this.proc.stdout.on("data", (d: Buffer) => this.console.push(d.toString("latin1")));
    this.proc.stderr.on("data", (d: Buffer) => {
      this.stderr += d.toString("latin1");
      this.logWaiters = this.logWaiters.filter((w) => {
        if (!w.re.test(this.stderr.slice(w.from))) return true;
        w.resolve();
        return false;
      });
    });
    this.proc.stdin.on("error", () => {});
    this.exited = new Promise((resolve) => this.proc.on("close", (code) => resolve(code)));
  }

  /** Waits until the process's stderr from offset `from` matches `re`. */
  waitLog(re: RegExp, ms: number, what: string, from = 0): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `timed out waiting for ${what}; stderr tail:\n${this.stderr.slice(-800)}\nconsole tail:\n${this.console.text.slice(-800)}`,
            ),
          ),
        ms,
      );
      const w = {
        re,
        from,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      if (re.test(this.stderr.slice(from))) w.resolve();
      else this.logWaiters.push(w);
    });
  }

  /** Waits for the process to end; returns its exit code. Kills it after `ms`. */
  async end(ms = 120_000): Promise<number | null> {
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), ms);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}
