// A small HTTP/1.1 router for the control API on node:http, listening on a unix socket only.
// Every request body is read in full (up to a limit: 413 past it) and parsed as JSON before a
// handler runs; handlers answer with a status and a JSON body or throw an ApiError. What a
// handler did not foresee is a 500 with a message (and logged), never a crash of the daemon.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { ValidationError } from "./schemas.ts";

/** An answer other than success: the status and a one-line message (the body is {"error": message}). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface ApiRequest {
  method: string;
  path: string;
  /** The path's {parameters}, decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body (undefined when there was none). */
  body: unknown;
  raw: IncomingMessage;
  res: ServerResponse;
}

/** A handler's answer; `stream` means it took over the response (GET /events). */
export type ApiResponse = { status: number; body?: unknown; text?: string; contentType?: string } | "stream";

export interface Route {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** e.g. "/vms/{name}/state". */
  path: string;
  handler: (req: ApiRequest) => Promise<ApiResponse> | ApiResponse;
}

export interface HttpOptions {
  /** Largest request body accepted (bytes). */
  bodyLimit: number;
  /** Connection: Upgrade requests (the console), given the matched route's parameters. */
  onUpgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  log?: (m: string) => void;
}

interface Compiled {
  route: Route;
  re: RegExp;
  names: string[];
}

function compile(route: Route): Compiled {
  const names: string[] = [];
  const re = new RegExp(
    `^${route.path.replace(/\{(\w+)\}/g, (_m, n: string) => {
      names.push(n);
      return "([^/]+)";
    })}$`,
  );
  return { route, re, names };
}

/** Sends a JSON answer (and nothing more for HEAD). */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? "" : `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    ...headers,
    ...(text ? { "content-type": "application/json", "content-length": Buffer.byteLength(text) } : { "content-length": 0 }),
  });
  res.end(text);
}

/** Reads the whole body; an ApiError 413 past `limit`. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > limit) {
      reject(new ApiError(413, `the request body is larger than ${limit} bytes`));
      return;
    }
    const parts: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (d: Buffer) => {
      if (over) return;
      size += d.length;
      if (size > limit) {
        over = true;
        reject(new ApiError(413, `the request body is larger than ${limit} bytes`));
        return;
      }
      parts.push(d);
    });
    req.on("end", () => {
      if (!over) resolve(Buffer.concat(parts));
    });
    req.on("error", (e) => reject(e));
  });
}

/** The API server: routes matched by path (404 for none, 405 for a path without the method). */
export function createApiServer(routes: Route[], opts: HttpOptions): Server {
  const compiled = routes.map(compile);
  const server = createServer({ maxHeaderSize: 16 << 10 }, (req, res) => {
    void handle(req, res);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.on("error", () => {});
    const method = req.method ?? "GET";
    try {
      let url: URL;
      try {
        url = new URL(req.url ?? "/", "http://dormouse");
      } catch {
        throw new ApiError(400, "the request's path is not a valid URL");
      }
      const path = url.pathname;
      const matches = compiled.filter((c) => c.re.test(path));
      if (!matches.length) throw new ApiError(404, `no such resource: ${path}`);
      const c = matches.find((m) => m.route.method === method || (method === "HEAD" && m.route.method === "GET"));
      if (!c) {
        const allow = [...new Set(matches.map((m) => m.route.method))].join(", ");
        throw new ApiError(405, `${method} is not allowed on ${path} (allowed: ${allow})`, { allow });
      }
      const m = c.re.exec(path) as RegExpExecArray;
      const params: Record<string, string> = {};
      c.names.forEach((n, i) => {
        try {
          params[n] = decodeURIComponent(m[i + 1]);
        } catch {
          throw new ApiError(400, `the path's ${n} is not valid percent-encoding`);
        }
      });
      const raw = await readBody(req, opts.bodyLimit);
      let body: unknown;
      if (raw.length) {
        try {
          body = JSON.parse(raw.toString("utf8"));
        } catch {
          throw new ApiError(400, "the request body is not valid JSON");
        }
      }
      const out = await c.route.handler({ method, path, params, query: url.searchParams, body, raw: req, res });
      if (out === "stream") return;
      if (out.text !== undefined) {
        res.writeHead(out.status, {
          "content-type": out.contentType ?? "text/plain; charset=utf-8",
          "content-length": Buffer.byteLength(out.text),
        });
        res.end(method === "HEAD" ? undefined : out.text);
      } else sendJson(res, out.status, out.body);
    } catch (e) {
      const err =
        e instanceof ApiError
          ? e
          : e instanceof ValidationError
            ? new ApiError(400, e.message)
            : new ApiError(500, `internal error: ${(e as Error)?.message ?? String(e)}`);
      if (err.status >= 500) opts.log?.(`${method} ${req.url}: ${(e as Error)?.stack ?? e}`);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // Past the body limit the rest of the body is not read: the connection ends after the answer.
      const close: Record<string, string> = err.status === 413 ? { connection: "close" } : {};
      sendJson(res, err.status, { error: err.message }, { ...err.headers, ...close });
      if (err.status === 413) res.on("finish", () => req.socket.destroy());
    }
  }

  server.on("upgrade", (req, socket, head) => {
    socket.on("error", () => {});
    if (opts.onUpgrade) opts.onUpgrade(req, socket, head);
    else socket.destroy();
  });
  // A request Node's parser rejects (malformed, headers too large) is answered 400 (or 431) and closed.
  server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const status = err.code === "HPE_HEADER_OVERFLOW" ? "431 Request Header Fields Too Large" : "400 Bad Request";
    const body = JSON.stringify({ error: `malformed HTTP request (${err.code ?? err.message})` });
    socket.end(
      `HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  });
  return server;
}

/** Writes a plain HTTP answer on a raw socket (an upgrade that is refused). */
export function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  const reason: Record<number, string> = {
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    500: "Internal Server Error",
  };
  const body = `${JSON.stringify({ error: message })}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${reason[status] ?? "Error"}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}
