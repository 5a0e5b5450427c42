// Fetching Debian arm64 packages with apt's ordinary client under a private configuration in a
// cache folder: the system's apt setup is never read or changed.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export class KitError extends Error {}

export interface AptOptions {
  /** Debian architecture of the packages (default arm64, the guests'). */
  arch?: string;
  /** More suites of the same archive in the sources list (e.g. bookworm-backports). */
  extraSuites?: string[];
  /**
   * Resolve against an empty dpkg status (a system with nothing installed, as when building a
   * disk image) instead of this machine's, and ignore its apt preferences.
   */
  emptyStatus?: boolean;
}

export class AptCache {
  private readonly opts: string[];
  readonly arch: string;

  constructor(
    readonly dir: string,
    readonly suite: string,
    readonly mirror = "http://deb.debian.org/debian",
    options: AptOptions = {},
  ) {
    this.arch = options.arch ?? "arm64";
    for (const d of ["lists/partial", "cache/archives/partial", "etc", "debs"]) mkdirSync(join(dir, d), { recursive: true });
    const suites = [suite, ...(options.extraSuites ?? [])];
    writeFileSync(join(dir, "etc/sources.list"), suites.map((s) => `deb ${mirror} ${s} main\n`).join(""));
    this.opts = [
      `-o=Dir::Etc::SourceList=${join(dir, "etc/sources.list")}`,
      "-o=Dir::Etc::SourceParts=/dev/null",
      `-o=Dir::State::Lists=${join(dir, "lists")}`,
      `-o=Dir::Cache=${join(dir, "cache")}`,
      `-o=APT::Architectures=${this.arch}`,
      `-o=APT::Architecture=${this.arch}`,
      "-o=Debug::NoLocking=1",
      "-o=APT::Sandbox::User=root",
    ];
    if (options.emptyStatus) {
      mkdirSync(join(dir, "state"), { recursive: true });
      writeFileSync(join(dir, "state/status"), "");
      this.opts.push(
        `-o=Dir::State::status=${join(dir, "state/status")}`,
        "-o=Dir::Etc::Preferences=/dev/null",
        "-o=Dir::Etc::PreferencesParts=/dev/null",
      );
    }
  }

  private apt(tool: string, args: string[], cwd?: string, withStderr = false): string {
    try {
      if (withStderr) {
        const r = spawnSync(tool, [...this.opts, ...args], { cwd, encoding: "utf8", timeout: 600_000 });
        if (r.error) throw r.error;
        if (r.status !== 0) throw Object.assign(new Error(`exit ${r.status}`), { stderr: r.stderr });
        return `${r.stdout}\n${r.stderr}`;
      }
      return execFileSync(tool, [...this.opts, ...args], {
        cwd,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        timeout: 600_000,
        maxBuffer: 1 << 30,
      });
    } catch (e) {
      const err = e as { stderr?: string; code?: string };
      if (err.code === "ENOENT") throw new KitError(`${tool} is missing: the guest kit needs Debian's apt`);
      throw new KitError(`${tool} ${args.join(" ")} failed: ${(err.stderr ?? String(e)).trim().split("\n").slice(-3).join(" / ")}`);
    }
  }

  /** Refreshes the package lists (a clear error when the archive cannot be reached). */
  update(): void {
    // apt-get update exits 0 when it cannot fetch (it only warns), so look for the lists.
    const out = this.apt("apt-get", ["-q", "update"], undefined, true);
    const lists = readdirSync(join(this.dir, "lists")).filter((f) => f.includes("_Packages"));
    if (lists.length === 0) {
      const why = out
        .split("\n")
        .filter((l) => /^(W|E|Err):/.test(l.trim()))
        .slice(0, 3)
        .join(" / ");
      throw new KitError(`cannot reach the Debian archive (${this.mirror}, ${this.suite}): ${why || "no package lists fetched"}`);
    }
  }

  /** A field of a package's record (the candidate version). */
  field(pkg: string, name: string): string | null {
    const out = this.apt("apt-cache", ["show", pkg]);
    const m = new RegExp(`^${name}: (.*)$`, "m").exec(out);
    return m ? m[1] : null;
  }

  /** Every version of a package the sources offer, newest first, with the suite that has it. */
  versions(pkg: string): { version: string; suite: string }[] {
    const out = this.apt("apt-cache", ["madison", pkg]);
    const found = out
      .split("\n")
      .map((l) => l.split("|").map((f) => f.trim()))
      .filter((f) => f.length >= 3 && f[0] === pkg && f[2].endsWith(" Packages"))
      .map((f) => ({ version: f[1], suite: f[2].split(/\s+/)[1].split("/")[0] }));
    return found.sort((a, b) => (versionGreater(a.version, b.version) ? -1 : versionGreater(b.version, a.version) ? 1 : 0));
  }

  /**
   * Downloads `pkg` at `version` from `suite` and whatever of its dependencies this machine does
   * not have installed (apt resolves them against the system's dpkg status, read-only), into
   * the private cache; returns the .deb paths.
   */
  downloadWithDependencies(pkg: string, version: string, suite: string): string[] {
    const archives = join(this.dir, "cache", "archives");
    for (const f of readdirSync(archives)) if (f.endsWith(".deb")) unlinkSync(join(archives, f));
    this.apt("apt-get", ["-q", "-y", "--download-only", "--no-install-recommends", "-t", suite, "install", `${pkg}=${version}`]);
    return readdirSync(archives)
      .filter((f) => f.endsWith(".deb"))
      .map((f) => join(archives, f));
  }

  /** Names of the packages of a priority (e.g. "required") in the sources. */
  packagesOfPriority(priority: string): string[] {
    const out = this.apt("apt-cache", ["dumpavail"]);
    const names = new Set<string>();
    for (const rec of out.split("\n\n")) {
      const p = /^Package: (\S+)$/m.exec(rec);
      if (p && new RegExp(`^Priority: ${priority}$`, "m").test(rec)) names.add(p[1]);
    }
    return [...names].sort();
  }

  /**
   * What installing `pkgs` (names, or name/suite) would install, resolved by apt without
   * recommendations, `defaultRelease` preferred: every package with its version.
   */
  resolve(pkgs: string[], defaultRelease: string): { name: string; version: string }[] {
    const out = this.apt("apt-get", [
      "-q",
      "-s",
      "-y",
      "--no-install-recommends",
      `-o=APT::Default-Release=${defaultRelease}`,
      "install",
      ...pkgs,
    ]);
    const found: { name: string; version: string }[] = [];
    for (const m of out.matchAll(/^Inst (\S+) \((\S+) /gm)) found.push({ name: m[1].replace(/:.*$/, ""), version: m[2] });
    if (found.length === 0) throw new KitError(`apt resolved nothing to install for ${pkgs.join(" ")}`);
    return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Downloads these exact package versions into the cache (reusing what is there); returns their paths in order. */
  downloadExact(pkgs: { name: string; version: string }[]): string[] {
    const debs = join(this.dir, "debs");
    const fileOf = (p: { name: string; version: string }) => {
      const prefix = `${p.name}_${p.version.replace(":", "%3a")}_`;
      return readdirSync(debs).find((f) => f.startsWith(prefix) && f.endsWith(".deb"));
    };
    const missing = pkgs.filter((p) => !fileOf(p));
    // In batches: one apt-get per package would take minutes, one for hundreds can pass ARG_MAX.
    for (let i = 0; i < missing.length; i += 100)
      this.apt("apt-get", ["-q", "download", ...missing.slice(i, i + 100).map((p) => `${p.name}=${p.version}`)], debs);
    return pkgs.map((p) => {
      const f = fileOf(p);
      if (!f) throw new KitError(`apt-get download ${p.name}=${p.version} produced no file`);
      return join(debs, f);
    });
  }

  /** Downloads a package's .deb into the cache (reused when present); returns its path. */
  download(pkg: string): string {
    const debs = join(this.dir, "debs");
    const version = this.field(pkg, "Version");
    if (!version) throw new KitError(`package ${pkg} not found in ${this.suite}`);
    const name = `${pkg}_${version.replace(":", "%3a")}_`;
    let have = readdirSync(debs).find((f) => f.startsWith(name));
    if (!have) {
      this.apt("apt-get", ["-q", "download", pkg], debs);
      have = readdirSync(debs).find((f) => f.startsWith(name));
      if (!have) throw new KitError(`apt-get download ${pkg} produced no file`);
    }
    return join(debs, have);
  }
}

/** Debian version order (dpkg --compare-versions). */
export function versionGreater(a: string, b: string): boolean {
  return spawnSync("dpkg", ["--compare-versions", a, "gt", b]).status === 0;
}

/** Extracts a .deb's files into `dest`. */
export function extractDeb(deb: string, dest: string): void {
  mkdirSync(dest, { recursive: true });
  try {
    execFileSync("dpkg-deb", ["-x", deb, dest], { stdio: ["ignore", "ignore", "pipe"] });
  } catch (e) {
    throw new KitError(`dpkg-deb -x ${deb} failed: ${(e as { stderr?: Buffer }).stderr?.toString().trim() ?? e}`);
  }
}

/**
 * Extracts only the files of a .deb whose path ends with one of `suffixes` into `dest` (big
 * module packages: a few drivers out of thousands). Returns the extracted paths, relative to `dest`.
 */
export function extractDebFiles(deb: string, dest: string, suffixes: string[]): string[] {
  mkdirSync(dest, { recursive: true });
  let listing: string;
  try {
    listing = execFileSync("sh", ["-c", 'dpkg-deb --fsys-tarfile "$1" | tar -t', "sh", deb], {
      encoding: "utf8",
      maxBuffer: 256 << 20,
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (e) {
    throw new KitError(`listing ${deb} failed: ${(e as { stderr?: string }).stderr?.trim() ?? e}`);
  }
  const wanted = listing.split("\n").filter((f) => suffixes.some((s) => f.endsWith(s)));
  if (wanted.length === 0) return [];
  try {
    execFileSync(
      "sh",
      ["-c", 'deb="$1"; dest="$2"; shift 2; dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dest" "$@"', "sh", deb, dest, ...wanted],
      {
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
  } catch (e) {
    throw new KitError(`extracting from ${deb} failed: ${(e as { stderr?: Buffer }).stderr?.toString().trim() ?? e}`);
  }
  return wanted;
}
