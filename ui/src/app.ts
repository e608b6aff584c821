// The dashboard's shell: how the caller signs in (noauth2 opens at once; Keystone asks for a token
// kept for this tab only), what the caller may read (GET /capabilities), the views as tabs, and the
// location hash as the page's state (#/fleet, #/trees/UUID, #/consumers/UUID?project_id=..., #/candidates).
import { html } from "htm/preact";
import { useEffect, useState } from "preact/hooks";
import { read, storeToken, storedToken, useToken, whenUnauthorized } from "./api";
import { CandidatesView } from "./candidates";
import { ConsumersView, OwnUsageView, type ConsumerFilter } from "./consumers";
import { FleetView, type FleetFilter } from "./fleet";
import { TreesView } from "./trees";
import type { Capabilities } from "./types";
import { ErrorNote } from "./widgets";

type Tab = "fleet" | "trees" | "consumers" | "usage" | "candidates";

/** Which operation lets the caller see each view (the operation ids of GET /capabilities). */
const NEEDS: Record<Tab, string> = {
  fleet: "resource_providers:list",
  trees: "resource_providers:list",
  consumers: "allocations:list",
  usage: "usages",
  candidates: "allocation_candidates:list",
};
const TITLES: Record<Tab, string> = { fleet: "Fleet", trees: "Provider trees", consumers: "Consumers", usage: "Usage", candidates: "Candidates" };

interface Route {
  tab: Tab;
  id?: string;
  params: Record<string, string>;
}

function parseHash(hash: string): Route {
  const [path = "", qs = ""] = hash.replace(/^#\/?/, "").split("?");
  const [tab, id] = path.split("/");
  const params = Object.fromEntries(new URLSearchParams(qs));
  return { tab: (tab && tab in NEEDS ? tab : "fleet") as Tab, id: id ? decodeURIComponent(id) : undefined, params };
}

function hashOf(r: Route): string {
  const qs = new URLSearchParams(Object.entries(r.params).filter(([, v]) => v !== undefined && v !== "") as [string, string][]).toString();
  return `#/${r.tab}${r.id ? `/${encodeURIComponent(r.id)}` : ""}${qs ? `?${qs}` : ""}`;
}

function useRoute(): [Route, (r: Route) => void] {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseHash(location.hash));
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return [route, (r) => (location.hash = hashOf(r))];
}

type Session =
  | { state: "starting" }
  | { state: "signin"; strategy: string; error?: unknown }
  | { state: "ready"; strategy: string; caps: Capabilities }
  | { state: "failed"; error: unknown };

export function App() {
  const [session, setSession] = useState<Session>({ state: "starting" });
  const [route, go] = useRoute();
  const start = async (strategy: string, token: string | null) => {
    if (token === null) return setSession({ state: "signin", strategy });
    useToken(token);
    try {
      const caps = await read<Capabilities>("../capabilities");
      storeToken(token);
      setSession({ state: "ready", strategy, caps });
    } catch (error) {
      storeToken(null);
      setSession({ state: "signin", strategy, error });
    }
  };
  useEffect(() => {
    read<{ auth_strategy: string }>("config.json").then(
      (c) => {
        whenUnauthorized(() => {
          storeToken(null);
          setSession({ state: "signin", strategy: c.auth_strategy, error: new Error("The token was refused; sign in again.") });
        });
        // NOTE: noauth2 takes any token; the page then acts as `admin` unless the tab chose another.
        void start(c.auth_strategy, storedToken() ?? (c.auth_strategy === "noauth2" ? "admin" : null));
      },
      (error) => setSession({ state: "failed", error }),
    );
  }, []);
  if (session.state === "starting") return html`<p class="loading">Loading…</p>`;
  if (session.state === "failed") return html`<${ErrorNote} error=${session.error} />`;
  if (session.state === "signin")
    return html`<${SignIn} strategy=${session.strategy} error=${session.error} onToken=${(t: string) => start(session.strategy, t)} />`;
  const allowed = new Set(session.caps.operations.filter((o) => o.allowed).map((o) => o.id));
  const tabs = (Object.keys(NEEDS) as Tab[]).filter((t) => allowed.has(NEEDS[t]) && !(t === "usage" && allowed.has(NEEDS.consumers)));
  const tab = tabs.includes(route.tab) ? route.tab : tabs[0];
  const caller = session.caps.caller;
  const signOut = () => {
    storeToken(null);
    useToken(null);
    setSession({ state: "signin", strategy: session.strategy });
  };
  return html`<div class="shell">
    <header>
      <h1>Berth</h1>
      <nav>${tabs.map((t) => html`<a href=${hashOf({ tab: t, params: {} })} class=${t === tab ? "active" : ""} aria-current=${t === tab ? "page" : undefined}>${TITLES[t]}</a>`)}</nav>
      <span class="who">${caller.user_id ?? "?"}${caller.project_id ? ` @ ${caller.project_id}` : ""} (${caller.roles.join(", ") || "no roles"}) · read-only
        ${session.strategy !== "noauth2" ? html` <button type="button" name="sign-out" onClick=${signOut}>Sign out</button>` : null}</span>
    </header>
    <main>
      ${tab === undefined ? html`<p class="error" role="alert">This token may read nothing the dashboard shows.</p>` : null}
      ${tab === "fleet" ? html`<${FleetView} filter=${route.params as FleetFilter} setFilter=${(f: FleetFilter) => go({ tab, params: f as Record<string, string> })} />` : null}
      ${tab === "trees" ? html`<${TreesView} selected=${route.tab === "trees" ? route.id : undefined} />` : null}
      ${
        tab === "consumers"
          ? html`<${ConsumersView} filter=${route.params as ConsumerFilter} selected=${route.tab === "consumers" ? route.id : undefined}
            setFilter=${(f: ConsumerFilter) => go({ tab, params: f as Record<string, string> })} />`
          : null
      }
      ${tab === "usage" && caller.project_id ? html`<${OwnUsageView} project=${caller.project_id} />` : null}
      ${tab === "candidates" ? html`<${CandidatesView} />` : null}
    </main>
  </div>`;
}

function SignIn(props: { strategy: string; error?: unknown; onToken: (t: string) => void }) {
  const [token, setToken] = useState("");
  return html`<form class="signin" onSubmit=${(e: Event) => {
    e.preventDefault();
    if (token.trim()) props.onToken(token.trim());
  }}>
    <h1>Berth</h1>
    <p>${props.strategy === "keystone" ? "This service checks tokens with Keystone. Paste a token (openstack token issue -f value -c id)." : "Give the token to read as."}</p>
    ${props.error ? html`<${ErrorNote} error=${props.error} />` : null}
    <label>Token <input name="token" type="password" autocomplete="off" value=${token} onInput=${(e: Event) => setToken((e.target as HTMLInputElement).value)} /></label>
    <button type="submit">Sign in</button>
    <p class="dim">The token is kept for this tab only (session storage) and sent to this service only.</p>
  </form>`;
}
