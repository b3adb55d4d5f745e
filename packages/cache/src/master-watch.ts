import { Cluster, type Redis } from "ioredis";
import type { RedisClient } from "./redis-connection.ts";

/** What a process does when its Redis master may have changed (see watchMasterChanges). */
export interface MasterWatch {
  /** The connection is ready again but the master not yet checked: hold every L2 operation. */
  unsure(): void;
  /** Checked: `changed` when it is another master, or when it could not be told (then it may be). */
  settled(changed: boolean): void;
}

/** The longest a check may take before the master counts as changed. */
const CHECK_MS = 2000;

/** Every master's address, from the slot map ioredis just refreshed. */
const clusterMasters = (client: Cluster): string =>
  client
    .nodes("master")
    .map((n) => `${n.options.host}:${n.options.port}`)
    .sort()
    .join(",");

/** The server's replication id: a promoted replica or a restarted server has a new one. */
function replicationId(client: Redis): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("master check timed out")), CHECK_MS);
  });
  const id = client.info("replication").then((info) => {
    const found = /master_replid:(\w+)/.exec(info)?.[1];
    if (!found) throw new Error("no master_replid in INFO");
    return found;
  });
  return Promise.race([id, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Tells `watch` when the master may no longer be the one the client knew: a replica was promoted (a
 * Sentinel or Cluster failover) or the server restarted. Replication is asynchronous, so the new master may
 * lack the last writes the old one acknowledged, invalidations among them.
 *
 * Standalone and Sentinel: on every reconnection the connection is `unsure` at once (no command has been
 * sent on it yet), its replication id is read, and it is `settled`; a check that fails counts as a change.
 * Cluster: the set of master addresses is compared each time ioredis refreshed its slot map (it does on
 * the errors and redirections a failover causes), synchronously, before the commands that waited for the
 * refresh go out. Returns a function that stops watching.
 */
export function watchMasterChanges(client: RedisClient, watch: MasterWatch): () => void {
  if (client instanceof Cluster) {
    let known = client.status === "ready" ? clusterMasters(client) : undefined;
    const onRefresh = () => {
      const now = clusterMasters(client);
      if (known !== undefined && now !== known) {
        watch.unsure();
        watch.settled(true);
      }
      known = now;
    };
    client.on("refresh", onRefresh);
    return () => client.off("refresh", onRefresh);
  }
  let known: string | undefined;
  let latest = 0;
  const check = (gated: boolean) => {
    const run = ++latest;
    if (gated) watch.unsure();
    replicationId(client).then(
      (now) => {
        if (run !== latest) return;
        const changed = known !== undefined && now !== known;
        known = now;
        if (gated) watch.settled(changed);
      },
      () => {
        if (run === latest && gated) watch.settled(true);
      },
    );
  };
  const onReady = () => check(true);
  client.on("ready", onReady);
  if (client.status === "ready") check(false);
  return () => client.off("ready", onReady);
}
