// Test credentials shaped like what the auth middleware builds.
import type { Credentials } from "../../src/policy/index.js";

const project = (roles: string[], projectId = "p1"): Credentials => ({
  userId: "u1",
  projectId,
  roles,
});

export const personas = {
  admin: project(["admin"]),
  /** Keystone expands implied roles: admin implies member implies reader. */
  keystoneAdmin: project(["admin", "member", "reader"]),
  service: project(["service"]),
  member: project(["member"]),
  keystoneMember: project(["member", "reader"]),
  reader: project(["reader"]),
  nobody: project([]),
  systemAdmin: { userId: "u1", projectId: null, roles: ["admin"], systemScope: "all" } satisfies Credentials,
} as const;

export type Persona = keyof typeof personas;

export const quietLogger = () => {
  const warnings: string[] = [];
  return { warnings, warn: (m: string) => void warnings.push(m) };
};
