import type { LoadClient } from "./client.ts";
import type { Ledger } from "./ledger.ts";
import { poisonL2 } from "./poison.ts";
import type { MixTargets } from "./read-mix.ts";
import type { Rig } from "./rig.ts";

/** What a fault that acts as a client (writes, reads) uses: the load's own ledger, targets and client. */
export interface FaultContext {
  ledger: Ledger;
  targets: MixTargets;
  client: LoadClient;
}

export interface Fault {
  name: string;
  /** Starts the fault, at a known moment under load. */
  inject(rig: Rig, ctx: FaultContext): Promise<void> | void;
  /** Ends it; resolves once healed: "after healing" counts from then. */
  heal(rig: Rig, ctx: FaultContext): Promise<void> | void;
  /** Something to say about the run beyond the figures (an exit code). */
  note?(): string;
  /**
   * The entities (ledger keys, `p:7`) a fault made stale behind the cache's back: the engine is wrong
   * there, and the report checks the readers' stale reads and the auditor's violations against them.
   */
  poisoned?(): string[];
}

/** Shop B's SIGTERM: its exit is awaited when healing, then it is started again. */
function stopShopB(): Fault {
  let exited: Promise<number | null> = Promise.resolve(null);
  let code: number | null = null;
  return {
    name: "Shop B stopped (SIGTERM), started again",
    inject: (rig) => {
      exited = rig.services.shopB.stop("SIGTERM");
    },
    heal: async (rig) => {
      code = await exited;
      await rig.services.shopB.start();
    },
    note: () => `Shop B exited with code ${code}`,
  };
}

/**
 * Every fault of the issue, each lasting the scenario's fault window (3 s) unless it ends by itself or its
 * healing must wait (the stale entries stay until the auditor's write checks have read them).
 */
export function faultList(): Fault[] {
  return [
    { name: "none (baseline)", inject: () => {}, heal: () => {} },
    { name: "Redis frozen (SIGSTOP) 3 s", inject: (r) => r.redis.pause(), heal: (r) => r.redis.resume() },
    { name: "Redis killed, restarted empty", inject: (r) => r.redis.kill(), heal: (r) => r.redis.restart() },
    {
      name: "half-open bus on Shop B",
      inject: (r) => r.busB.blackhole("downstream"),
      heal: (r) => r.busB.pass(),
    },
    { name: "PostgreSQL hung 3 s (proxy)", inject: (r) => r.postgres.pause(), heal: (r) => r.postgres.pass() },
    { name: "S3 hung 3 s (proxy)", inject: (r) => r.s3.pause(), heal: (r) => r.s3.pass() },
    stopShopB(),
    // Last: the engine is made wrong here, and no scenario after it should start from its damage.
    poisonL2(5),
  ];
}
