// berth resource class list|show|create|set|delete
import type { Command } from "commander";
import { leaf, type CliIo } from "./command.js";
import { printList, printOne } from "./output.js";

export function register(resource: Command, io: CliIo): void {
  const rc = resource.command("class").description("resource classes");
  leaf("list", rc, "list", "list resource classes", io, async ({ client, out }) => {
    printList(
      out,
      ["name"],
      (await client.resourceClasses.list()).map(({ name }) => ({ name })),
    );
  });
  leaf("one", rc, "show <name>", "show a resource class", io, async ({ client, out }, [name]) => {
    printOne(out, { name: (await client.resourceClasses.get(name!)).name });
  });
  // NOTE: osc-placement's create prints nothing; printing the class made lets -f/-c pick it up.
  leaf("one", rc, "create <name>", "create a custom resource class (CUSTOM_...)", io, async ({ client, out }, [name]) => {
    await client.resourceClasses.create(name!);
    printOne(out, { name });
  });
  leaf("none", rc, "set <name>", "create a custom resource class, or accept that it exists (1.7)", io, async ({ client }, [name]) => {
    await client.resourceClasses.ensure(name!);
  });
  leaf("none", rc, "delete <name>", "delete a custom resource class", io, async ({ client }, [name]) => {
    await client.resourceClasses.delete(name!);
  });
}
