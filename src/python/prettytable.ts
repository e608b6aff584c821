// Text as the reference's operator commands print it: prettytable's tables and textwrap's wrapping.
import { at } from "@berth/client/common";

export type Align = "l" | "c";

/** prettytable's centring: the odd space goes right of text of odd length, left of even. */
function justify(text: string, width: number, align: Align): string {
  const excess = width - text.length;
  if (align === "l") return text + " ".repeat(excess);
  const half = Math.floor(excess / 2);
  if (excess % 2 === 0) return " ".repeat(half) + text + " ".repeat(half);
  return text.length % 2 ? " ".repeat(half) + text + " ".repeat(half + 1) : " ".repeat(half + 1) + text + " ".repeat(half);
}

/** A table in prettytable's default style; `hrules` puts a rule under every row (prettytable.ALL). */
export function prettyTable(
  headers: readonly string[],
  rows: readonly (readonly (string | number)[])[],
  opts: { align?: Align; hrules?: boolean } = {},
): string {
  const align = opts.align ?? "c";
  const cells = rows.map((r) => r.map((c) => String(c).split("\n")));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => Math.max(...at(r, i).map((l) => l.length)))));
  const rule = `+${widths.map((w) => "-".repeat(w + 2)).join("+")}+`;
  const line = (parts: string[][]) => {
    const height = Math.max(...parts.map((p) => p.length));
    const out: string[] = [];
    for (let h = 0; h < height; h++) out.push(`| ${parts.map((p, i) => justify(p[h] ?? "", at(widths, i), align)).join(" | ")} |`);
    return out;
  };
  const out = [rule, ...line(headers.map((h) => [h])), rule];
  for (const r of cells) {
    out.push(...line(r));
    if (opts.hrules) out.push(rule);
  }
  if (!opts.hrules && cells.length) out.push(rule);
  return out.join("\n");
}

/**
 * Python's textwrap.wrap(text, width, subsequent_indent=indent) for plain prose: words break after
 * hyphens between letters, as textwrap's do, and words longer than a line are cut.
 */
export function wrap(text: string, width: number, indent = ""): string[] {
  const chunks = text.split(/(\s+)/).flatMap((c) => (/\s/.test(c) ? [c.replace(/\s/g, " ")] : c.split(/(?<=[A-Za-z]{2}-)(?=[A-Za-z])/)));
  const lines: string[] = [];
  let cur = "";
  let room = width;
  const flush = () => {
    lines.push((lines.length ? indent : "") + cur.trimEnd());
    cur = "";
    room = width - indent.length;
  };
  for (let i = 0; i < chunks.length; i++) {
    let c = at(chunks, i);
    const blank = c.trim() === "";
    if (c === "" || (blank && cur === "")) continue;
    if (cur.length + c.length <= room) {
      cur += c;
      continue;
    }
    if (blank) {
      flush();
      continue;
    }
    if (c.length > width - indent.length) {
      // A word longer than any line fills the rest of this one, then the next ones.
      while (cur.length + c.length > room) {
        const take = room - cur.length;
        if (take <= 0) {
          flush();
          continue;
        }
        cur += c.slice(0, take);
        c = c.slice(take);
        flush();
      }
      cur = c;
      continue;
    }
    flush();
    cur = c;
  }
  if (cur.trimEnd() !== "") flush();
  return lines;
}
