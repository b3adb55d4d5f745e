import type { Session } from "../lib/types.ts";
import { byId } from "./dom.ts";
import { mountSignIn, type SignIn } from "./sign-in.ts";

/**
 * What every page shares: the sign-in widget in its header. `onSession` runs with the session read at
 * load and again after each sign-in or sign-out.
 */
export function startPage(onSession: (session: Session | null) => void): SignIn {
  return mountSignIn(byId("signin"), onSession);
}
