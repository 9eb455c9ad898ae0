// Words and numbers for people: countdowns, dates, scopes, provider kinds and what removing
// an account leaves to do.

/** Now, in Unix seconds. */
export function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}

/** "6 d 23 h", "5 h 2 m", "12 m", "40 s". */
export function span(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const days = Math.floor(s / 86400);
  const hours = Math.floor((s % 86400) / 3600);
  const minutes = Math.floor((s % 3600) / 60);
  if (days > 0) return `${days} d ${hours} h`;
  if (hours > 0) return `${hours} h ${minutes} m`;
  if (minutes > 0) return `${minutes} m`;
  return `${s} s`;
}

/** What an account shows when its provider gave no expiry (the token is used until refused). */
export const NO_EXPIRY = "no expiry given";

/** "expires in 6 d 23 h", "expired 3 m ago", or "no expiry given" for `null`. */
export function countdown(expiresAt, now) {
  if (expiresAt === null || expiresAt === undefined) return NO_EXPIRY;
  const left = expiresAt - now;
  return left > 0 ? `expires in ${span(left)}` : `expired ${span(-left)} ago`;
}

/**
 * When (Unix seconds, after `now`) the text of `countdown(expiresAt, now)` changes next: a
 * countdown in days changes on the hour, one in hours or minutes on the minute, one in seconds
 * every second; `null` for no expiry. Waking up then, and not before, does no work in vain.
 */
export function countdownChangesAt(expiresAt, now) {
  if (expiresAt === null || expiresAt === undefined) return null;
  const grain = (seconds) => (seconds >= 86400 ? 3600 : seconds >= 60 ? 60 : 1);
  const left = expiresAt - now;
  if (left > 0) return now + (left % grain(left)) + 1;
  // Expired: "expired 3 m ago" grows with the time since.
  const since = -left;
  return now + grain(since) - (since % grain(since));
}

/** "9:58" for a short time left. */
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

// One formatter for the whole page: building one per call costs more than the rest of a row.
const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** A date and time in the person's locale. */
export function dateTime(unixSeconds) {
  return DATE_TIME.format(new Date(unixSeconds * 1000));
}

/**
 * What a token may do, as the provider reported it: "login only" or "posting: vote, ..." for
 * the signer kinds, the scope names an OAuth 2.0 server granted, a token site's API.
 */
export function scopesText(scopes, kind) {
  const none = !scopes || scopes.length === 0;
  if (kind === "oauth2") return none ? "no scopes reported" : `scopes: ${scopes.join(" ")}`;
  if (kind === "token_site") return none ? "the site's API (no scopes)" : `scopes: ${scopes.join(" ")}`;
  if (none) return "nothing reported";
  if (scopes.length === 1 && scopes[0] === "login") return "login only";
  return `posting: ${scopes.join(", ")}`;
}

/**
 * Whether `kind` is one of the signer kinds (Hivesigner, Steemconnect), whose client ids are
 * account names; an unknown kind counts as one (what every app was before the other kinds).
 */
export function isSignerKind(kind) {
  return kind !== "oauth2" && kind !== "token_site";
}

/**
 * How an app is named: "@myapp" for the signer kinds (the client id is an account name), the
 * client id exactly as the provider gave it for an OAuth 2.0 server or a token site.
 */
export function appName(kind, clientId) {
  return isSignerKind(kind) ? `@${clientId}` : clientId;
}

/** A provider kind, in words. */
export function kindLabel(kind) {
  switch (kind) {
    case "hivesigner":
      return "Hivesigner API";
    case "steemconnect":
      return "Steemconnect v2 API (SteemLogin)";
    case "oauth2":
      return "OAuth 2.0 / OpenID Connect server";
    case "token_site":
      return "Token site (apps tab)";
    default:
      return String(kind ?? "unknown");
  }
}

/** An OAuth 2.0 client authentication method, in words. */
export function clientAuthLabel(method) {
  switch (method) {
    case "none":
      return "none: a public client (no secret; PKCE protects the code)";
    case "client_secret_basic":
      return "client_secret_basic: the id and secret in HTTP Basic";
    case "client_secret_post":
      return "client_secret_post: the id and secret in the form body";
    default:
      return String(method ?? "unknown");
  }
}

/**
 * What removing one account of a `kind` app did and leaves to do, in words: `removed` is the
 * `remove_account` reply ({username, revokedAtProvider, authorityRemovalPage}). Returns
 * `{ text, page, todo }`: `page` is where the person finishes (null when Authdeck knows none),
 * `todo` whether something is left to do.
 */
export function removalWords(kind, removed, appLabel) {
  const who = `@${removed.username}`;
  const page = removed.authorityRemovalPage ?? null;
  if (kind === "oauth2") {
    return {
      text: removed.revokedAtProvider
        ? `Removed ${who}: the server revoked the grant, and its tokens are deleted from your keyring.`
        : `Removed ${who}: its tokens are deleted from your keyring, but the server did not confirm a revocation (it may have no revocation endpoint), so the grant may last until it expires. To end it now, revoke ${appLabel} in your account settings at the server.`,
      page: null,
      todo: !removed.revokedAtProvider,
    };
  }
  if (kind === "token_site") {
    const start = `Removed ${who}: its token is deleted from your keyring${removed.revokedAtProvider ? " and the site accepted the revoke" : ""}.`;
    return {
      text: page
        ? `${start} The site may still let ${appLabel} use it: revoke the app there, on the site's apps settings page ${page}.`
        : `${start} The site may still let ${appLabel} use it: revoke the app there, in the site's apps settings.`,
      page,
      todo: true,
    };
  }
  return {
    text:
      `Removed ${who}${removed.revokedAtProvider ? "" : " (the provider did not confirm the revoke)"}.` +
      (page ? ` To remove ${appLabel}'s authority on chain, ${who} can visit ${page}.` : ""),
    page,
    todo: Boolean(page),
  };
}
