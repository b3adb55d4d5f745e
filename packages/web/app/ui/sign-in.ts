import { ApiError } from "../lib/api-error.ts";
import type { Session } from "../lib/types.ts";
import { api, messageOf } from "./api.ts";
import { fill, h } from "./dom.ts";
import { statusLine } from "./live-region.ts";

const DEMO_ROLES = ["customer", "operator", "manager"] as const;

export interface SignIn {
  readonly session: Session | null;
  /** Resolves once the session was read. */
  ready: Promise<Session | null>;
}

/**
 * Who is signed in, and how to sign in: in the embedded demo as a demo customer, operator or manager; else
 * with a JWT from the identity provider, which the server turns into an HttpOnly cookie. The token is sent
 * once and forgotten: the field is cleared and nothing keeps it.
 */
export function mountSignIn(root: HTMLElement, onChange: (session: Session | null) => void): SignIn {
  let session: Session | null = null;
  const status = statusLine("signin-status", "signin-status");

  const set = (next: Session | null) => {
    session = next;
    render();
    onChange(next);
  };

  const run = async (action: () => Promise<Session | null>) => {
    try {
      set(await action());
      status.say("");
    } catch (err) {
      status.say(messageOf(err), "error");
    }
  };

  const signedIn = (s: Session) =>
    h(
      "div",
      { class: "signin-who" },
      h("span", { "data-testid": "signin-who" }, `Signed in as ${s.role} ${s.sub}`),
      h("button", { type: "button", "data-testid": "signout", onclick: () => run(signOut) }, "Sign out"),
    );

  const demoButtons = () =>
    h(
      "div",
      { class: "signin-demo", role: "group", "aria-label": "Demo sign-in" },
      DEMO_ROLES.map((role) =>
        h(
          "button",
          { type: "button", "data-testid": `signin-demo-${role}`, onclick: () => run(() => demo(role)) },
          `Act as demo ${role}`,
        ),
      ),
    );

  const tokenForm = () => {
    const input = h("input", {
      id: "signin-token",
      type: "password",
      autocomplete: "off",
      required: true,
      "data-testid": "signin-token",
    });
    const submit = async (event: Event) => {
      event.preventDefault();
      const token = input.value.trim();
      input.value = "";
      await run(() => api<Session>("/auth/session", { method: "POST", body: { token } }));
    };
    return h(
      "details",
      { class: "signin-token" },
      h("summary", {}, "Sign in with a token"),
      h(
        "form",
        { onsubmit: submit },
        h("label", { for: "signin-token" }, "JWT from the identity provider"),
        input,
        h("button", { type: "submit", "data-testid": "signin-token-submit" }, "Sign in"),
      ),
    );
  };

  let demoAvailable = false;
  const render = () =>
    fill(root, session ? signedIn(session) : [demoAvailable ? demoButtons() : null, tokenForm()], status.el);

  const ready = (async () => {
    const [current, demo] = await Promise.all([readSession().catch(() => null), demoExists()]);
    demoAvailable = demo;
    set(current);
    return current;
  })();
  return {
    get session() {
      return session;
    },
    ready,
  };
}

async function readSession(): Promise<Session | null> {
  try {
    return await api<Session>("/auth/session");
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 404)) return null;
    throw err;
  }
}

/** Whether this is the embedded demo, whose visitors may act as a demo customer, operator or manager. */
async function demoExists(): Promise<boolean> {
  try {
    return (await api<{ demo: boolean }>("/auth/options")).demo;
  } catch {
    return false;
  }
}

const demo = (role: string) => api<Session>("/auth/demo", { method: "POST", body: { role } });

async function signOut(): Promise<null> {
  await api("/auth/session", { method: "DELETE" });
  return null;
}
