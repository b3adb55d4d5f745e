import { AUDIT_DEFAULTS } from "@printfab/cache";

/** A Shop under measurement: only its auditor settings differ from one subject to another. */
export interface Subject {
  name: "unaudited" | "control" | "default" | "amplified";
  label: string;
  env: Record<string, string>;
}

/** How many times the default read rate the amplified subject samples. */
export const AMPLIFICATION = 100;

const OFF = { CACHE_AUDIT_WRITE_RATE: "0", CACHE_AUDIT_READ_RATE: "0" };

/**
 * The default rates against the sampling off; a second Shop with the sampling off, whose difference from the
 * first is the measurement's own noise; and a Shop sampling a hundred times the default read rate (its
 * load cap lifted so that every sample is checked), where the cost of a check stands well above the noise.
 */
export const SUBJECTS: Subject[] = [
  { name: "unaudited", label: "sampling off (CACHE_AUDIT_WRITE_RATE=0, CACHE_AUDIT_READ_RATE=0)", env: OFF },
  { name: "control", label: "sampling off too: its difference from `unaudited` is the noise floor", env: OFF },
  {
    name: "default",
    label: `the defaults (write rate ${AUDIT_DEFAULTS.writeRate}, read rate ${AUDIT_DEFAULTS.readRate}, load cap ${AUDIT_DEFAULTS.maxLoadShare} of the hits)`,
    env: {},
  },
  {
    name: "amplified",
    label: `read rate ${AUDIT_DEFAULTS.readRate * AMPLIFICATION} (${AMPLIFICATION}x the default), load cap lifted (CACHE_AUDIT_MAX_LOAD_SHARE=1)`,
    env: {
      CACHE_AUDIT_READ_RATE: String(AUDIT_DEFAULTS.readRate * AMPLIFICATION),
      CACHE_AUDIT_MAX_LOAD_SHARE: "1",
    },
  },
];
