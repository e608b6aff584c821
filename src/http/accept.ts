// The Accept header as the reference reads it (webob's RFC 7231 rules): which media types a
// client takes, for the few handlers that check it and for the format of every error body.
import { at } from "@berth/client/common";

const TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
const QUOTED = '"(?:[\\t \\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t \\x21-\\x7e\\x80-\\xff])*"';
const OWS = "[ \\t]*";
const QVALUE = "0(?:\\.[0-9]{0,3})?|1(?:\\.0{0,3})?";
const RANGE = `(${TOKEN}/${TOKEN})((?:${OWS};${OWS}(?![qQ]=)${TOKEN}=(?:${TOKEN}|${QUOTED}))*)`;
const EXT = `${OWS};${OWS}${TOKEN}(?:=(?:${TOKEN}|${QUOTED}))?`;
const ELEMENT = `${RANGE}(?:${OWS};${OWS}[qQ]=(${QVALUE})(?:${EXT})*)?`;
// NOTE: a list may hold empty elements ("a/b, , c/d"); a header that breaks the grammar anywhere
// counts as absent (the reference then accepts anything and prefers HTML for errors).
const VALID = new RegExp(`^(?:(?:,|${ELEMENT})(?:${OWS},(?:${OWS}${ELEMENT})?)*)?$`);
const ELEMENTS = new RegExp(ELEMENT, "g");
const PARAMS = new RegExp(`${OWS};${OWS}(${TOKEN})=(${TOKEN}|${QUOTED})`, "g");

interface MediaRange {
  type: string;
  subtype: string;
  /** Media type parameters; a range with any matches only offers with the same (ours have none). */
  hasParams: boolean;
  q: number;
}

/** The header the handlers see: the reference's request log turns none, "" and exactly "*\/*" into JSON. */
export function effectiveAccept(raw: string | null): string {
  return !raw || raw === "*/*" ? "application/json" : raw;
}

/** The ranges of a valid header, or undefined for an invalid one. */
export function parseAccept(value: string): MediaRange[] | undefined {
  if (!VALID.test(value)) return undefined;
  const out: MediaRange[] = [];
  for (const m of value.matchAll(ELEMENTS)) {
    const [type, subtype] = at(m, 1).toLowerCase().split("/") as [string, string];
    const hasParams = [...(m[2] ?? "").matchAll(PARAMS)].length > 0;
    out.push({ type, subtype, hasParams, q: m[3] ? Number(m[3]) : 1 });
  }
  return out;
}

/**
 * The offers (plain `type/subtype`, no parameters) the header accepts, best first: each takes the
 * q of its most specific matching range (type/subtype, then type/*, then *\/*); q=0 refuses; ties
 * keep the offers' order. An invalid header accepts every offer, in order.
 */
export function acceptableOffers(value: string, offers: readonly string[]): string[] {
  const ranges = parseAccept(value);
  if (!ranges) return [...offers];
  const scored: { offer: string; q: number; index: number }[] = [];
  offers.forEach((offer, index) => {
    const [type, subtype] = offer.split("/") as [string, string];
    let best: { q: number; specificity: number } | undefined;
    for (const r of ranges) {
      let specificity: number;
      if (r.type === type && r.subtype === subtype) {
        if (r.hasParams) continue;
        specificity = 3;
      } else if (r.subtype === "*" && r.type === type) specificity = 2;
      else if (r.type === "*" && r.subtype === "*") specificity = 1;
      else continue;
      if (!best || specificity > best.specificity) best = { q: r.q, specificity };
    }
    if (best && best.q > 0) scored.push({ offer, q: best.q, index });
  });
  return scored.sort((a, b) => b.q - a.q || a.index - b.index).map((s) => s.offer);
}

/** Whether a handler that serves JSON only may answer: false means 406. */
export function acceptsJson(value: string): boolean {
  return !parseAccept(value) || acceptableOffers(value, ["application/json"]).length > 0;
}

/** The format of an error body: webob offers HTML and JSON, and falls back to plain text. */
export function errorFormat(value: string): "html" | "json" | "plain" {
  const best = acceptableOffers(value, ["text/html", "application/json"])[0];
  return best === "text/html" ? "html" : best === "application/json" ? "json" : "plain";
}
