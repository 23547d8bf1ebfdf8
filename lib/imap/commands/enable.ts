import { AUTHENTICATED, ok, type CommandSpec } from "../command.ts";
import { compileEnabled } from "../compiler.ts";
import { parseEnableArgs } from "../parser.ts";

// ENABLE (RFC 5161): CONDSTORE, QRESYNC (RFC 7162 §3.2.3, implies CONDSTORE without listing it,
// as Dovecot does) and IMAP4rev2
// (RFC 9051 Appendix A: UTF-8 mailbox names, ESEARCH answers, no \Recent). Unknown names are
// ignored; the ENABLED response lists what this command newly turned on.
const KNOWN = new Map([
  ["CONDSTORE", "CONDSTORE"],
  ["QRESYNC", "QRESYNC"],
  ["IMAP4REV2", "IMAP4rev2"],
]);

export const enableCommand: CommandSpec = {
  names: ["ENABLE"],
  states: AUTHENTICATED,
  async handle(session, cmd) {
    const { capabilities } = parseEnableArgs(cmd);
    const turnedOn: string[] = [];
    for (const name of capabilities) {
      const upper = name.toUpperCase();
      const spelled = KNOWN.get(upper);
      if (!spelled || session.enabled.has(upper)) continue;
      const hadCondstore = session.condstore;
      session.enabled.add(upper);
      turnedOn.push(spelled);
      // RFC 7162 §3.1.2.1: CONDSTORE turned on with a mailbox selected: its HIGHESTMODSEQ now.
      const mailbox = session.selectedOrNull;
      if (!hadCondstore && session.condstore && mailbox) {
        await session.untaggedOk("Highest", { code: "HIGHESTMODSEQ", value: mailbox.knownModSeq });
      }
    }
    await session.send(compileEnabled(turnedOn));
    return ok("ENABLE completed");
  },
};
