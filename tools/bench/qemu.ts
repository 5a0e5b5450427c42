// The QEMU the benchmarks compare against: the newest qemu-system-arm Debian offers for this
// machine (its release, -updates and -backports), fetched with apt under a private configuration
// into .cache/qemu and run from there (the system's apt setup and installed packages are never
// changed). When that cannot be fetched the installed qemu-system-aarch64 is used, with a note.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AptCache, extractDeb, versionGreater } from "../../src/kit/apt.ts";

export interface Qemu {
  /** The qemu-system-aarch64 binary. */
  cmd: string;
  /** Arguments that go before the machine's (the data directory of a private copy). */
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Its version, as it reports it (e.g. 10.0.2). */
  version: string;
  /** Where it came from: "installed" or the suite it was fetched from. */
  source: string;
  /** Why the newest could not be used, when it could not. */
  note?: string;
}

const PKG = "qemu-system-arm";

function reportedVersion(cmd: string, env: NodeJS.ProcessEnv): string {
  const r = spawnSync(cmd, ["--version"], { encoding: "utf8", env });
  if (r.status !== 0) throw new Error(`${cmd} --version failed: ${(r.stderr || String(r.error)).trim().split("\n")[0]}`);
  const m = /version (\S+)/.exec(r.stdout);
  if (!m) throw new Error(`${cmd} --version printed no version`);
  return m[1];
}

function installed(note?: string): Qemu {
  try {
    return {
      cmd: "qemu-system-aarch64",
      args: [],
      env: process.env,
      version: reportedVersion("qemu-system-aarch64", process.env),
      source: "installed",
      note,
    };
  } catch (e) {
    throw new Error(`no QEMU to compare against: ${note ? `${note}; ` : ""}${(e as Error).message}`);
  }
}

function privateCopy(root: string, suite: string): Qemu {
  const libs = ["usr/lib", "lib"].flatMap((d) =>
    existsSync(join(root, d))
      ? readdirSync(join(root, d))
          .filter((f) => f.endsWith("-linux-gnu"))
          .map((f) => join(root, d, f))
      : [],
  );
  // Its own module folder, even an empty one: modules of the installed QEMU are of another build.
  const moduleDir = libs.map((l) => join(l, "qemu")).find((d) => existsSync(d)) ?? join(root, "usr/lib/qemu");
  mkdirSync(moduleDir, { recursive: true });
  const env = {
    ...process.env,
    LD_LIBRARY_PATH: [...libs, process.env.LD_LIBRARY_PATH].filter(Boolean).join(":"),
    QEMU_MODULE_DIR: moduleDir,
  };
  const cmd = join(root, "usr/bin/qemu-system-aarch64");
  return { cmd, args: ["-L", join(root, "usr/share/qemu")], env, version: reportedVersion(cmd, env), source: suite };
}

/** The newest QEMU Debian offers for this machine (fetched once into `cacheDir`), or the installed one with a note. */
export function newestQemu(cacheDir: string, log: (m: string) => void = () => {}): Qemu {
  try {
    const osRelease = readFileSync("/etc/os-release", "utf8");
    const codename = /^VERSION_CODENAME=(\S+)$/m.exec(osRelease)?.[1];
    if (!/^ID=debian$/m.test(osRelease) || !codename) return installed("not a Debian release with a codename: using the installed QEMU");
    const arch = execFileSync("dpkg", ["--print-architecture"], { encoding: "utf8" }).trim();
    const apt = new AptCache(join(cacheDir, "apt"), codename, undefined, {
      arch,
      extraSuites: [`${codename}-updates`, `${codename}-backports`],
    });
    apt.update();
    const newest = apt.versions(PKG)[0];
    if (!newest) return installed(`${PKG} is not in ${codename}: using the installed QEMU`);
    const have = spawnSync("dpkg-query", ["-W", "-f=${db:Status-Status} ${Version}", PKG], { encoding: "utf8" }).stdout.split(" ");
    if (have[0] === "installed" && !versionGreater(newest.version, have[1])) return installed();
    const root = join(cacheDir, newest.version.replace(/[^A-Za-z0-9.+~-]/g, "_"));
    if (!existsSync(join(root, ".complete"))) {
      log(`fetching ${PKG} ${newest.version} from ${newest.suite}`);
      rmSync(root, { recursive: true, force: true });
      for (const deb of apt.downloadWithDependencies(PKG, newest.version, newest.suite)) extractDeb(deb, root);
      writeFileSync(join(root, ".complete"), `${PKG} ${newest.version} (${newest.suite})\n`);
    }
    return privateCopy(root, newest.suite);
  } catch (e) {
    return installed(`the newest QEMU could not be fetched (${(e as Error).message.split("\n")[0]}): using the installed one`);
  }
}

/** The benchmark line's QEMU fields: `qemu=<version>`, and where it came from. */
export function qemuFields(q: Qemu): string {
  return `qemu=${q.version} qemu_from=${q.source}`;
}
