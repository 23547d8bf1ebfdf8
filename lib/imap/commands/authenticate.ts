import { checkToken } from "../auth-adapter.ts";
import { bad, no, type CommandResult, type CommandSpec } from "../command.ts";
import { compileAuthChallenge } from "../compiler.ts";
import { ImapParseError, parseAuthenticateArgs, parseAuthenticateResponse } from "../parser.ts";
import { ConnectionClosed, type ImapSession } from "../session.ts";
import { loggedIn, loginFailed, passwordLogin, requireTls } from "./login-common.ts";

// AUTHENTICATE (RFC 9051 §6.2.2) with SASL-IR (RFC 4959): PLAIN (RFC 4616), LOGIN, and the web's
// session tokens as OAUTHBEARER (RFC 7628) or XOAUTH2 (Google's format).

class Cancelled extends Error {}

/** Sends a challenge and reads the client's answer. */
async function challenge(session: ImapSession, data: Buffer): Promise<Buffer> {
  await session.send(compileAuthChallenge(data));
  const frame = await session.io.readFrame();
  if (!frame) throw new ConnectionClosed();
  const answer = parseAuthenticateResponse(frame);
  if (answer === "cancel") throw new Cancelled();
  return answer;
}

async function plain(session: ImapSession, initial: Buffer | undefined): Promise<CommandResult> {
  const message = initial ?? (await challenge(session, Buffer.alloc(0)));
  // RFC 4616 §2: [authzid] NUL authcid NUL passwd
  const fields = message.toString("utf8").split("\0");
  if (fields.length !== 3) return loginFailed(session, "invalid");
  const [authzid, authcid, password] = fields;
  // Acting as someone else is not offered.
  if (authzid && authzid.toLowerCase() !== authcid.toLowerCase()) return loginFailed(session, "invalid");
  return passwordLogin(session, authcid, password);
}

async function login(session: ImapSession, initial: Buffer | undefined): Promise<CommandResult> {
  const user = initial ?? (await challenge(session, Buffer.from("Username:")));
  const password = await challenge(session, Buffer.from("Password:"));
  return passwordLogin(session, user.toString("utf8"), password.toString("utf8"));
}

/** The `key=value` fields of an OAuth SASL message (\x01 separated, RFC 7628 §3.1). */
function oauthFields(parts: string[]): Map<string, string> {
  const fields = new Map<string, string>();
  for (const p of parts) {
    const eq = p.indexOf("=");
    if (eq > 0) fields.set(p.slice(0, eq).toLowerCase(), p.slice(eq + 1));
  }
  return fields;
}

function bearer(auth: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)$/i.exec(auth?.trim() ?? "");
  return m ? m[1] : null;
}

async function oauth(session: ImapSession, mechanism: "XOAUTH2" | "OAUTHBEARER", initial: Buffer | undefined): Promise<CommandResult> {
  const message = (initial ?? (await challenge(session, Buffer.alloc(0)))).toString("utf8");
  let email: string | undefined;
  let fields: Map<string, string>;
  if (mechanism === "XOAUTH2") {
    // user=<email>\x01auth=Bearer <token>\x01\x01
    fields = oauthFields(message.split("\x01"));
    email = fields.get("user");
  } else {
    // gs2-header "n,a=<email>," then \x01 key=value … \x01\x01 (RFC 7628 §3.1, RFC 5801 §4)
    const [gs2, ...rest] = message.split("\x01");
    const m = /^[ny],(?:a=([^,]*))?,$/.exec(gs2);
    if (!m) return loginFailed(session, "invalid");
    if (m[1]) email = m[1].replace(/=2C/gi, ",").replace(/=3D/gi, "=");
    fields = oauthFields(rest);
  }
  const token = bearer(fields.get("auth"));
  const user = token ? await checkToken({ token, email }) : null;
  if (user) return loggedIn(session, { id: user.userId, email: user.email, webSessionId: user.sessionId });
  // The failure goes out as a challenge with a JSON error; the client answers (empty line, or
  // \x01 for OAUTHBEARER), then gets the NO (RFC 7628 §3.2.2).
  const error = mechanism === "OAUTHBEARER" ? { status: "invalid_token", schemes: "bearer" } : { status: "401", schemes: "bearer" };
  await challenge(session, Buffer.from(JSON.stringify(error))).catch((err) => {
    if (err instanceof ConnectionClosed) throw err;
  });
  return loginFailed(session, "invalid");
}

export const authenticateCommand: CommandSpec = {
  names: ["AUTHENTICATE"],
  states: ["not-authenticated"],
  async handle(session, cmd) {
    const { mechanism, initialResponse } = parseAuthenticateArgs(cmd);
    const refused = requireTls(session);
    if (refused) return refused;
    try {
      switch (mechanism) {
        case "PLAIN":
          return await plain(session, initialResponse);
        case "LOGIN":
          return await login(session, initialResponse);
        case "XOAUTH2":
        case "OAUTHBEARER":
          return await oauth(session, mechanism, initialResponse);
        default:
          return no(`Unsupported authentication mechanism ${mechanism}`, "CANNOT");
      }
    } catch (err) {
      if (err instanceof Cancelled) return bad("Authentication cancelled");
      if (err instanceof ImapParseError) return bad(err.message);
      throw err;
    }
  },
};
