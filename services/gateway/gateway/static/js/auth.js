// Sign-in. Local mode: user name + password -> our own token. Entra mode: MSAL.js redirect
// sign-in, then acquireTokenSilent for the API scope before each call. Tokens live in
// sessionStorage only (gone when the tab closes).
//
// Offline boot: with a stored token and no network, the last /me answer of this tab's
// session (kept beside the token) stands in, and session.offline is set, so the field
// upload queue opens instead of a "cannot be reached" page; reconnect() checks /me again
// when the network returns.
import { api, configureApi } from "./api.js";
import { loadScript } from "./util.js";

const TOKEN_KEY = "ailurus.token";
const ME_KEY = "ailurus.me";
const EXPIRY_SKEW_MS = 30_000;
// Mirrors ailurus_common.auth.Role.implied(): admin includes all; uploader and reviewer include viewer.
const IMPLIED = { admin: ["admin", "reviewer", "uploader", "viewer"], reviewer: ["reviewer", "viewer"],
  uploader: ["uploader", "viewer"], viewer: ["viewer"] };

export const session = { config: null, me: null, roles: new Set(), offline: false };

let msalApp = null;
let msalScopes = [];
let signedOutHandler = () => {};

export function onSignedOut(handler) {
  signedOutHandler = handler;
}

export async function initAuth() {
  configureApi({ token: getToken, unauthorized: () => expire("Your session has expired: sign in again.") });
  try {
    session.config = await api("/auth/config", { anonymous: true });
  } catch (error) {
    if (error instanceof TypeError && useStoredMe()) return;  // no network, not even the cached copy
    throw error;
  }
  if (session.config.mode === "entra") await initMsal(session.config);
  if (isSignedIn()) {
    try {
      await loadMe();
    } catch (error) {
      if (error instanceof TypeError && useStoredMe()) return;
      if (error.status !== 401) throw error;
      forget();
    }
  }
}

function setMe(me) {
  session.me = me;
  session.roles = new Set((me.roles || []).flatMap((role) => IMPLIED[role] || []));
}

/** Offline with a local token still valid: this tab's last /me answer stands in. */
function useStoredMe() {
  let me = null;
  try {
    me = storedToken() ? JSON.parse(sessionStorage.getItem(ME_KEY) || "null") : null;
  } catch { /* unreadable: sign in again */ }
  if (!me) return false;
  setMe(me);
  session.offline = true;
  return true;
}

/** Back online after an offline boot: check the session with the server again. */
export async function reconnect() {
  if (!session.offline) return;
  if (!session.config) session.config = await api("/auth/config", { anonymous: true });
  try {
    await loadMe();
    session.offline = false;
  } catch (error) {
    if (error.status === 401) forget();
    else throw error;
  }
}

async function initMsal(config) {
  await loadScript("/static/vendor/msal-browser/msal-browser.min.js");
  const entra = config.entra || {};
  msalScopes = [entra.scope || `${config.audience}/.default`];
  msalApp = new window.msal.PublicClientApplication({
    auth: { clientId: entra.client_id, ...(entra.authority ? { authority: entra.authority } : {}),
      redirectUri: `${window.location.origin}/`, navigateToLoginRequestUrl: true },
    cache: { cacheLocation: "sessionStorage" },
  });
  await msalApp.initialize();
  const result = await msalApp.handleRedirectPromise();
  const account = result?.account || msalApp.getActiveAccount() || msalApp.getAllAccounts()[0];
  if (account) msalApp.setActiveAccount(account);
}

function storedToken() {
  try {
    const stored = JSON.parse(sessionStorage.getItem(TOKEN_KEY) || "null");
    return stored && stored.expiresAt - EXPIRY_SKEW_MS > Date.now() ? stored.token : null;
  } catch {
    return null;
  }
}

export function isSignedIn() {
  return msalApp ? Boolean(msalApp.getActiveAccount()) : Boolean(storedToken());
}

/** The Bearer token for the next API call (null when signed out). */
export async function getToken() {
  if (!msalApp) return storedToken();
  const account = msalApp.getActiveAccount();
  if (!account) return null;
  try {
    const result = await msalApp.acquireTokenSilent({ scopes: msalScopes, account });
    return result.accessToken;
  } catch (error) {
    if (error instanceof window.msal.InteractionRequiredAuthError) {
      await msalApp.acquireTokenRedirect({ scopes: msalScopes, account });
    }
    throw error;
  }
}

export async function loadMe() {
  setMe(await api("/me"));
  if (!msalApp) sessionStorage.setItem(ME_KEY, JSON.stringify(session.me));
  return session.me;
}

/** Does the signed-in user hold this role (or one that includes it)? */
export function can(role) {
  return session.roles.has(role);
}

export async function signInLocal(username, password) {
  const body = await api("/auth/login", { method: "POST", json: { username, password }, anonymous: true });
  sessionStorage.setItem(TOKEN_KEY, JSON.stringify({ token: body.access_token,
    expiresAt: Date.now() + body.expires_in * 1000 }));
  return loadMe();
}

export async function signInEntra() {
  await msalApp.loginRedirect({ scopes: msalScopes });
}

function forget() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(ME_KEY);
  session.offline = false;
  session.me = null;
  session.roles = new Set();
}

function expire(message) {
  if (!session.me) return;  // already signed out (several calls may fail at once)
  forget();
  signedOutHandler(message);
}

export async function signOut() {
  const token = storedToken();
  if (token) {
    // Local sign-in: the server refuses this token from now on, not only this tab. Best effort.
    try {
      await fetch("/api/v1/auth/logout", { method: "POST", headers: { Authorization: `Bearer ${token}` } });
    } catch (_) { /* offline: the token still ends at its expiry */ }
  }
  forget();
  if (msalApp) {
    // Forget this app's tokens without signing the user out of Microsoft everywhere.
    await msalApp.logoutRedirect({ account: msalApp.getActiveAccount(), onRedirectNavigate: () => false });
  }
  signedOutHandler(null);
}
