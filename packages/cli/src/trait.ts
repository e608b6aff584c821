// berth trait list|show|create|delete
import type { Command } from "commander";
import { leaf, type CliIo } from "./command.js";
import { UsageError } from "./errors.js";
import { printList, printOne } from "./output.js";

export function register(program: Command, io: CliIo): void {
  const trait = program.command("trait").description("traits");
  leaf<{ name?: string; associated?: boolean; notAssociated?: boolean }>(
    "list",
    trait,
    "list",
    "list traits",
    io,
    async ({ client, out }, _a, o) => {
      if (o.associated && o.notAssociated) throw new UsageError("--associated and --not-associated exclude each other");
      const associated = o.associated ? true : o.notAssociated ? false : undefined;
      printList(
        out,
        ["name"],
        (await client.traits.list({ name: o.name, associated })).map((name) => ({ name })),
      );
    },
    (c) =>
      c
        .option("--name <filter>", "startswith:PREFIX or in:A,B")
        .option("--associated", "only traits some provider has")
        .option("--not-associated", "only traits no provider has"),
  );
  leaf("one", trait, "show <name>", "show a trait", io, async ({ client, out }, [name]) => {
    await client.traits.get(name!);
    printOne(out, { name });
  });
  leaf("none", trait, "create <name>", "create a custom trait (CUSTOM_...)", io, async ({ client }, [name]) => {
    await client.traits.create(name!);
  });
  leaf("none", trait, "delete <name>", "delete a custom trait", io, async ({ client }, [name]) => {
    await client.traits.delete(name!);
  });
}
