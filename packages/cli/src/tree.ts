// Drawing a provider tree: one line per provider with used/capacity per class.
import type { ProviderNode } from "@berth/client";
import { capacityOf, entry } from "@berth/client/common";

/** What an inventory can hold, by the server's rule (@berth/client/common). */
export const capacity = (i: { total: number; reserved: number; allocation_ratio: number }): number =>
  capacityOf({ total: i.total, reserved: i.reserved, ratio: i.allocation_ratio });

function resources(n: ProviderNode): string {
  return Object.keys(n.inventories)
    .sort()
    .map((rc) => `${rc} ${n.usages[rc] ?? 0}/${capacity(entry(n.inventories, rc))}`)
    .join(", ");
}

export function drawTree(root: ProviderNode): string {
  const lines: string[] = [];
  const walk = (n: ProviderNode, prefix: string, branch: string, last: boolean) => {
    const res = resources(n);
    lines.push(`${prefix}${branch}${n.provider.name} (${n.provider.uuid})${res ? `  ${res}` : ""}`);
    const next = prefix + (branch ? (last ? "    " : "│   ") : "");
    n.children.forEach((c, i) => walk(c, next, i === n.children.length - 1 ? "└── " : "├── ", i === n.children.length - 1));
  };
  walk(root, "", "", true);
  return `${lines.join("\n")}\n`;
}

/** The tree as data for -f json|yaml. */
export function treeData(n: ProviderNode): unknown {
  return {
    uuid: n.provider.uuid,
    name: n.provider.name,
    generation: n.provider.generation,
    resources: Object.fromEntries(
      Object.entries(n.inventories).map(([rc, inv]) => [rc, { capacity: capacity(inv), used: n.usages[rc] ?? 0, total: inv.total, reserved: inv.reserved }]),
    ),
    children: n.children.map(treeData),
  };
}
