import type { Session } from "../lib/types.ts";

/** What a storefront page gets: where to draw, and who is signed in. */
export interface PageContext {
  view: HTMLElement;
  session: Session | null;
  /** Aborted when the visitor leaves the page: its requests and streams stop. */
  signal: AbortSignal;
}

export const isCustomer = (session: Session | null) => session?.role === "customer";
