// berth resource provider usage show, berth resource usage show
import type { Command } from "commander";
import { leaf, type CliIo } from "./command.js";
import { UsageError } from "./errors.js";
import { printList } from "./output.js";

export function registerProvider(rp: Command, io: CliIo): void {
  const usage = rp.command("usage").description("usages of a resource provider");
  leaf("list", usage, "show <uuid>", "show a provider's usages", io, async ({ client, out }, [uuid]) => {
    const r = await client.usages.forProvider(uuid!);
    printList(
      out,
      ["resource_class", "usage"],
      Object.entries(r.usages).map(([resource_class, usage]) => ({ resource_class, usage })),
    );
  });
}

export function registerTotals(resource: Command, io: CliIo): void {
  const usage = resource.command("usage").description("usages of a project");
  leaf<{ projectId?: string; userId?: string; consumerType?: string }>(
    "list",
    usage,
    "show [project_id]",
    "show the usages of a project (and user)",
    io,
    async ({ client, out }, [project], o) => {
      if (project && o.projectId && project !== o.projectId)
        throw new UsageError("give the project once: as the argument (osc-placement's way) or --project-id");
      const projectId = project ?? o.projectId;
      if (!projectId) throw new UsageError("give the project: berth resource usage show <project_id> (or --project-id)");
      const r = await client.usages.forProject({ project_id: projectId, user_id: o.userId, consumer_type: o.consumerType });
      const rows = Object.entries(r.usages).flatMap(([k, v]): object[] =>
        typeof v === "number"
          ? [{ resource_class: k, usage: v }]
          : Object.entries(v)
              .filter(([rc]) => rc !== "consumer_count")
              .map(([rc, n]) => ({ consumer_type: k, consumer_count: v.consumer_count, resource_class: rc, usage: n })),
      );
      const grouped = rows.some((r) => "consumer_type" in r);
      printList(out, grouped ? ["consumer_type", "consumer_count", "resource_class", "usage"] : ["resource_class", "usage"], rows);
    },
    (c) =>
      c
        .option("--project-id <id>", "the project, instead of the argument")
        .option("--user-id <id>", "only this user's")
        .option("--consumer-type <type>", "only this consumer type (1.38; 'all' or 'unknown' too)"),
  );
}
