// Whether a MySQL/MariaDB server is a node of a Galera cluster (MariaDB Galera Cluster, Percona
// XtraDB Cluster): its transactions can be aborted from outside, by other nodes' writes.
import { sql, type Kysely } from "kysely";
import type { DB } from "./schema.js";

/** True when the server replicates with Galera (wsrep_on); a server that has no such variable is not a node. */
export async function isGaleraNode(db: Kysely<DB>): Promise<boolean> {
  const { rows } = await sql<{ Value: string }>`SHOW VARIABLES LIKE 'wsrep_on'`.execute(db);
  return String(rows[0]?.Value ?? "OFF").toUpperCase() === "ON";
}
