// Python's uuid.UUID(hex) parsing, the one rule behind every uuid the reference reads: oslo's
// is_uuid_like (the JSON Schema format "uuid", member_of and in_tree values) and the canonical form
// it stores and answers with (a provider's uuid given as `{...}` or `urn:uuid:...`, a consumer in
// the path).

/** The hex digits uuid.UUID reads from `s`: urn: and uuid: removed, braces stripped at both ends, dashes removed. */
function hexOf(s: string): string | undefined {
  const hex = s
    .replaceAll("urn:", "")
    .replaceAll("uuid:", "")
    .replace(/^[{}]+|[{}]+$/g, "")
    .replaceAll("-", "");
  return /^[0-9a-fA-F]{32}$/.test(hex) ? hex.toLowerCase() : undefined;
}

/** str(uuid.UUID(s)): lower case with dashes; undefined where uuid.UUID raises. */
export function canonicalUuid(s: string): string | undefined {
  const h = hexOf(s);
  return h === undefined ? undefined : `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** oslo's uuidutils.is_uuid_like: a string uuid.UUID accepts. */
export function isUuidLike(v: unknown): boolean {
  return typeof v === "string" && hexOf(v) !== undefined;
}
