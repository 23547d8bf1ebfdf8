// What the server advertises (RFC 9051 §6.1.1), by connection state: no way to log in before TLS
// (LOGINDISABLED, RFC 9051 §6.2.3), the SASL mechanisms once TLS is up, the extensions once the
// user is known.

export interface CapabilityContext {
  secure: boolean;
  /** STARTTLS is possible (plain connection on the STARTTLS port). */
  canStartTls: boolean;
  authenticated: boolean;
  appendLimit: number;
}

const BASE = ["IMAP4rev1", "IMAP4rev2", "LITERAL+", "SASL-IR", "ID", "ENABLE"];

export const SASL_MECHANISMS = ["PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER"] as const;

/** Extensions a client may name in ENABLE (RFC 5161), as they are reported back. */
export const ENABLEABLE = ["CONDSTORE", "QRESYNC", "IMAP4rev2"] as const;

export function capabilities(ctx: CapabilityContext): string[] {
  const caps = [...BASE];
  if (!ctx.authenticated) {
    if (ctx.canStartTls && !ctx.secure) caps.push("STARTTLS");
    if (!ctx.secure) caps.push("LOGINDISABLED");
    else caps.push(...SASL_MECHANISMS.map((m) => `AUTH=${m}`));
    return caps;
  }
  caps.push(
    "IDLE",
    "NAMESPACE",
    "UNSELECT",
    "UIDPLUS",
    "CHILDREN",
    "LIST-EXTENDED",
    "LIST-STATUS",
    "SPECIAL-USE",
    "CREATE-SPECIAL-USE",
    "MOVE",
    "CONDSTORE",
    "QRESYNC",
    "ESEARCH",
    "SEARCHRES",
    "WITHIN",
    "SORT",
    "SORT=DISPLAY",
    "THREAD=REFERENCES",
    "THREAD=ORDEREDSUBJECT",
    "OBJECTID",
    "QUOTA",
    "QUOTA=RES-STORAGE",
    "BINARY",
    "MULTIAPPEND",
    `APPENDLIMIT=${ctx.appendLimit}`,
    "STATUS=SIZE",
  );
  return caps;
}
