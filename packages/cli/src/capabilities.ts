// berth capabilities [TYPE] | capabilities provider UUID | capabilities consumer UUID: what the
// caller may do (Berth's /capabilities documents, docs/capabilities.md), one operation per row.
import type { Command } from "commander";
import type { CapabilityType, OperationCapability } from "@berth/client";
import { leaf, type CliIo } from "./command.js";
import { printList } from "./output.js";

const COLUMNS = ["id", "method", "path", "since", "allowed", "why"];

function rows(ops: readonly OperationCapability[]) {
  return ops.map((o) => ({
    id: o.id,
    method: o.method,
    path: o.path,
    since: o.since,
    allowed: o.allowed,
    why: [...(o.refused_by ?? []).map((r) => `${r.reason}: ${r.detail}`), ...(o.conditions ?? []).map((c) => `if: ${c}`)].join("; "),
  }));
}

export function register(program: Command, io: CliIo): void {
  const caps = program.command("capabilities").description("what this caller may do here (Berth's capabilities documents)");
  leaf("list", caps, "show [type]", "the service's operations (or one type's) with this caller's verdicts", io, async ({ client, out }, [type]) => {
    const doc = type ? await client.capabilities.forType(type as CapabilityType) : await client.capabilities.service();
    printList(out, COLUMNS, rows(doc.operations));
  });
  leaf("list", caps, "provider <uuid>", "a provider's operations, refused by policy or by its state", io, async ({ client, out }, [uuid]) => {
    printList(out, COLUMNS, rows((await client.capabilities.provider(uuid!)).operations));
  });
  leaf("list", caps, "consumer <uuid>", "a consumer's allocation operations", io, async ({ client, out }, [uuid]) => {
    printList(out, COLUMNS, rows((await client.capabilities.consumer(uuid!)).operations));
  });
}
