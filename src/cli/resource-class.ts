// berth resource class list|show|create|delete
import type { Command } from "commander";
import { leaf, type CliIo } from "./command.js";
import { printList, printOne } from "./output.js";

export function register(resource: Command, io: CliIo): void {
  const rc = resource.command("class").description("resource classes");
  leaf(rc, "list", "list resource classes", io, async ({ client, out }) => {
    printList(out, ["name"], (await client.resourceClasses.list()).map(({ name }) => ({ name })));
  });
  leaf(rc, "show <name>", "show a resource class", io, async ({ client, out }, [name]) => {
    printOne(out, { name: (await client.resourceClasses.get(name!)).name });
  });
  leaf(rc, "create <name>", "create a custom resource class (CUSTOM_...)", io, async ({ client }, [name]) => {
    await client.resourceClasses.create(name!);
  });
  leaf(rc, "delete <name>", "delete a custom resource class", io, async ({ client }, [name]) => {
    await client.resourceClasses.delete(name!);
  });
}
