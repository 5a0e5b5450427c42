// The control API's routes as data, and its OpenAPI 3.1 document built from them and from the
// schemas that validate the requests (schemas.ts). The daemon serves it at GET /openapi.json;
// docs/openapi.json is the same document, generated (`npm run gen:openapi`) and kept current
// by a test.
import type { TSchema } from "typebox";
import {
  ActionRequest,
  ActionResult,
  CreateVmRequest,
  ErrorBody,
  EventLine,
  HostActionRequest,
  HostActionResult,
  HostInfo,
  StateRequest,
  VM_NAME_PATTERN,
  VmInfo,
  VmList,
} from "./schemas.ts";

export type OperationId =
  "listVms" | "createVm" | "getVm" | "deleteVm" | "putVmState" | "vmAction" | "vmConsole" | "events" | "getHost" | "hostAction" | "openapi";

export interface RouteDoc {
  id: OperationId;
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  summary: string;
  request?: TSchema;
  /** The success status and its body (none for 204; "ndjson" and "text" for streams and plain text). */
  ok: [number, TSchema | "ndjson" | "text" | null];
  /** The error statuses it answers with, and when. */
  errors: Record<number, string>;
  query?: Record<string, string>;
}

const BAD = { 400: "malformed JSON, wrong types or unknown fields", 413: "the body is over the limit" };

/** Every route of the API. */
export const ROUTES: RouteDoc[] = [
  {
    id: "listVms",
    method: "GET",
    path: "/vms",
    summary: "every VM: name, state, since when, memory, disk usage, pending RTC alarm",
    ok: [200, VmList],
    errors: {},
  },
  {
    id: "createVm",
    method: "POST",
    path: "/vms",
    summary: "record a new VM (state created): its spec, a UUID and disk serials",
    request: CreateVmRequest,
    ok: [201, VmInfo],
    errors: { ...BAD, 409: "a VM of that name exists" },
  },
  { id: "getVm", method: "GET", path: "/vms/{name}", summary: "one VM, with its spec", ok: [200, VmInfo], errors: { 404: "no such VM" } },
  {
    id: "deleteVm",
    method: "DELETE",
    path: "/vms/{name}",
    summary: "forget a VM (refused while it runs); disk images it made are deleted only with ?disks=true, disks given by path never",
    ok: [204, null],
    errors: { 400: "an unknown query parameter", 404: "no such VM", 409: "the VM is running, paused, suspended or frozen" },
    query: { disks: "true: also delete the disk images made for the VM" },
  },
  {
    id: "putVmState",
    method: "PUT",
    path: "/vms/{name}/state",
    summary: "pause a running VM or resume a paused one",
    request: StateRequest,
    ok: [200, VmInfo],
    errors: { ...BAD, 404: "no such VM", 409: "the VM's state forbids it (the message names the state)" },
  },
  {
    id: "vmAction",
    method: "POST",
    path: "/vms/{name}/actions",
    summary: "start, powerdown (power button), sleep (sleep button), wakeup, reset, kill, snapshot, restore, save",
    request: ActionRequest,
    ok: [200, ActionResult],
    errors: {
      ...BAD,
      404: "no such VM",
      409: "the VM's state forbids it (the message names the state), or a hibernated VM's board or disks changed",
    },
  },
  {
    id: "vmConsole",
    method: "GET",
    path: "/vms/{name}/console",
    summary:
      "with Connection: Upgrade and Upgrade: console, the serial console as raw bytes both ways (101 Switching Protocols; the recent output first); without, the console's recent output as text",
    ok: [200, "text"],
    errors: { 404: "no such VM", 409: "the VM has no process (for an upgrade)" },
  },
  {
    id: "events",
    method: "GET",
    path: "/events",
    summary: "every VM's events as newline-delimited JSON, each with vm, event, timestamp and its fields, as they happen",
    ok: [200, "ndjson"],
    errors: { 404: "?vm= names no VM" },
    query: { vm: "only this VM's events" },
  },
  {
    id: "getHost",
    method: "GET",
    path: "/host",
    summary:
      "the host: frozen or not and since when, its last action (a save-all: the VMs it saved and whether they were restored), VMs by state, saved VMs' pending RTC alarms",
    ok: [200, HostInfo],
    errors: {},
  },
  {
    id: "hostAction",
    method: "POST",
    path: "/host/actions",
    summary:
      "freeze (before a host suspend: running VMs frozen, suspended ones held, disks flushed), thaw (after it), save-all (before a host hibernation), restore-all (after it, or at the daemon's start on a new boot)",
    request: HostActionRequest,
    ok: [200, HostActionResult],
    errors: {
      ...BAD,
      409: "freezing a frozen host, thawing one that is not frozen, restore-all without a save-all to restore, or while frozen",
    },
  },
  { id: "openapi", method: "GET", path: "/openapi.json", summary: "this document", ok: [200, null], errors: {} },
];

/** The OpenAPI 3.1 document of the API. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const json = (schema: TSchema) => ({ "application/json": { schema } });
  for (const r of ROUTES) {
    const params = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema: { type: "string", pattern: VM_NAME_PATTERN },
    }));
    const query = Object.entries(r.query ?? {}).map(([name, description]) => ({
      name,
      in: "query",
      required: false,
      description,
      schema: { type: "string" },
    }));
    const [status, body] = r.ok;
    const ok =
      body === null
        ? { description: status === 204 ? "done" : "the document" }
        : body === "ndjson"
          ? { description: "a stream of JSON lines", content: { "application/x-ndjson": { schema: EventLine } } }
          : body === "text"
            ? { description: "text", content: { "text/plain": { schema: { type: "string" } } } }
            : { description: "done", content: json(body) };
    const responses: Record<string, unknown> = { [status]: ok };
    for (const [code, why] of Object.entries(r.errors)) responses[code] = { description: why, content: json(ErrorBody) };
    paths[r.path] ??= {};
    paths[r.path][r.method.toLowerCase()] = {
      operationId: r.id,
      summary: r.summary,
      ...(params.length || query.length ? { parameters: [...params, ...query] } : {}),
      ...(r.request ? { requestBody: { required: true, content: json(r.request) } } : {}),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Dormouse control API",
      version: "1",
      description:
        "Named VMs of one Dormouse daemon: HTTP/1.1 with JSON over the unix socket <state dir>/dormouse.sock (mode 0600 in a 0700 directory; no TCP listener).",
    },
    paths,
  };
}

/** docs/openapi.json's text: the document, marked as generated. */
export function openApiText(): string {
  const doc = openApiDocument();
  return `${JSON.stringify({ "x-generated": "by tools/gen-openapi.ts from src/daemon/openapi.ts and schemas.ts: do not edit", ...doc }, null, 2)}\n`;
}
