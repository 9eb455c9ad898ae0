// Words and numbers for people: countdowns, dates, scopes.

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

/** "expires in 6 d 23 h" or "expired 3 m ago". */
export function countdown(expiresAt, now) {
  const left = expiresAt - now;
  return left > 0 ? `expires in ${span(left)}` : `expired ${span(-left)} ago`;
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

/** What a token may do, as the provider reported it: "login only" or "posting: vote, ...". */
export function scopesText(scopes) {
  if (!scopes || scopes.length === 0) return "nothing reported";
  if (scopes.length === 1 && scopes[0] === "login") return "login only";
  return `posting: ${scopes.join(", ")}`;
}
